package dev.tandem.core;

import dev.tandem.core.protocol.Protocol.ApprovalRequestedParams;
import java.util.ArrayList;
import java.util.List;

/**
 * What an approval asks, in words, for views that cannot render the card (a balloon, the Swing
 * list): the flow and its reference, or the command and where it runs, then the server's details.
 */
public final class ApprovalText {
  private ApprovalText() {}

  /** One line per fact, e.g. {@code Code Review · merge request group/app!7 <url>}. */
  public static List<String> lines(ApprovalRequestedParams p) {
    List<String> lines = new ArrayList<>();
    if (p.flow != null) {
      String reference = p.reference == null ? "" : " · " + referenceText(p);
      lines.add(p.flow.name + reference);
    } else if (p.reference != null) {
      lines.add(referenceText(p));
    }
    if (p.command != null) {
      lines.add("$ " + p.command.command);
      lines.add("in " + p.command.cwd);
    }
    if (p.details != null && !p.details.isBlank()) lines.add(p.details.strip());
    return lines;
  }

  public static String details(ApprovalRequestedParams p) {
    return String.join("\n", lines(p));
  }

  /** The same as HTML for a balloon: escaped, one line each. */
  public static String html(ApprovalRequestedParams p) {
    List<String> escaped = new ArrayList<>();
    for (String line : lines(p)) escaped.add(escapeHtml(line).replace("\n", "<br>"));
    return String.join("<br>", escaped);
  }

  /** Text made safe to put in HTML (IDE balloons and pages render their text as HTML). */
  public static String escapeHtml(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String referenceText(ApprovalRequestedParams p) {
    String kind =
        switch (p.reference.kind) {
          case MERGE_REQUEST -> "merge request";
          case PIPELINE -> "pipeline";
          case ISSUE -> "issue";
        };
    return kind + " " + p.reference.label + "  " + p.reference.url;
  }
}
