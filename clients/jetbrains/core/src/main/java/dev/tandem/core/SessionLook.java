package dev.tandem.core;

import dev.tandem.core.protocol.Protocol;
import dev.tandem.core.protocol.Protocol.SessionSnapshot;
import dev.tandem.core.protocol.Protocol.SessionStatus;

/**
 * How a session looks wherever it is shown (the Swing list, balloons, the status bar), the same
 * words and symbols as the other clients: each status its own label, icon and tone, so the four
 * states a widget can end in never look alike.
 */
public final class SessionLook {
  private SessionLook() {}

  /** The colour family a view gives a status. */
  public enum Tone {
    NEUTRAL,
    RUNNING,
    WAITING,
    SUCCESS,
    ERROR,
    MUTED
  }

  public record Look(String label, String icon, Tone tone) {}

  public static Look of(SessionStatus status) {
    if (status == null) return new Look("Unknown", "?", Tone.NEUTRAL);
    return switch (status) {
      case QUEUED -> new Look("Queued", "…", Tone.NEUTRAL);
      case RUNNING -> new Look("Running", "●", Tone.RUNNING);
      case AWAITING_APPROVAL -> new Look("Waiting for your approval", "?", Tone.WAITING);
      case COMPLETED -> new Look("Completed", "✓", Tone.SUCCESS);
      case FAILED -> new Look("Failed", "✗", Tone.ERROR);
      case CANCELLED -> new Look("Cancelled", "⊘", Tone.MUTED);
      case INTERRUPTED -> new Look("Interrupted", "‖", Tone.WAITING);
    };
  }

  public static String flowName(Protocol.FlowId flow) {
    String name = flow == null ? null : Protocol.FLOW_NAMES.get(flow);
    return name == null ? "Flow" : name;
  }

  /**
   * One line for a session: {@code ✓ Code Review · group/app!7  Completed — Reviewed 2 files…}.
   * Running sessions show their step, finished ones their outcome.
   */
  public static String line(SessionSnapshot s) {
    Look look = of(s.status);
    String detail = "";
    if (s.status == SessionStatus.FAILED && s.error != null) detail = " — " + s.error;
    else if (s.status == SessionStatus.COMPLETED && s.result != null) detail = " — " + s.result.summary;
    else if (s.step != null && !Protocol.FINAL_STATUSES.contains(s.status)) {
      detail = " — " + s.step.replace('_', ' ');
    }
    String reference = s.reference == null ? "" : s.reference.label;
    String line = look.icon() + " " + flowName(s.flow) + " · " + reference + "  " + look.label() + detail;
    return line.replace('\n', ' ');
  }

  /** The status bar's text: {@code tandem}, {@code tandem: 1 running}, {@code tandem: 1 running · 1 approval}. */
  public static String statusText(int running, int approvals) {
    StringBuilder text = new StringBuilder("tandem");
    if (running > 0) text.append(": ").append(running).append(" running");
    if (approvals > 0) {
      text.append(running > 0 ? " · " : ": ").append(approvals).append(approvals == 1 ? " approval" : " approvals");
    }
    return text.toString();
  }
}
