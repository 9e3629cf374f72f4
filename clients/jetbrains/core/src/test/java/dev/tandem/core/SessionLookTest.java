package dev.tandem.core;

import static dev.tandem.core.Fixtures.json;
import static dev.tandem.core.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.core.protocol.Protocol.SessionSnapshot;
import dev.tandem.core.protocol.Protocol.SessionStatus;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionLookTest {
  private static SessionSnapshot read(com.google.gson.JsonElement e) {
    return Json.read(e, SessionSnapshot.class, "m");
  }

  @Test
  void theFourWidgetStatesLookDifferent() {
    Set<String> icons = new HashSet<>();
    Set<SessionLook.Tone> tones = new HashSet<>();
    for (SessionStatus s : new SessionStatus[] {SessionStatus.COMPLETED, SessionStatus.FAILED, SessionStatus.CANCELLED, SessionStatus.RUNNING}) {
      icons.add(SessionLook.of(s).icon());
      tones.add(SessionLook.of(s).tone());
    }
    assertEquals(4, icons.size());
    assertEquals(4, tones.size());
  }

  @Test
  void aLineSaysFlowReferenceStatusAndStepOrOutcome() {
    var running = snapshot("s1", 1, "running", "t").getAsJsonObject();
    running.addProperty("step", "fetch_diff");
    assertEquals("● Code Review · group/app!7  Running — fetch diff", SessionLook.line(read(running)));
    var done = snapshot("s1", 2, "completed", "t").getAsJsonObject();
    done.add("result", json("{'summary':'Reviewed 2 files:\\n5 findings.','links':[]}"));
    assertEquals("✓ Code Review · group/app!7  Completed — Reviewed 2 files: 5 findings.", SessionLook.line(read(done)));
    var failed = snapshot("s1", 3, "failed", "t").getAsJsonObject();
    failed.addProperty("error", "GitLab failed (500)");
    failed.addProperty("step", "fetch_diff");
    assertEquals("✗ Code Review · group/app!7  Failed — GitLab failed (500)", SessionLook.line(read(failed)));
    assertEquals("⊘ Code Review · group/app!7  Cancelled", SessionLook.line(read(snapshot("s1", 4, "cancelled", "t"))));
  }

  @Test
  void theStatusBarTextCountsRunningSessionsAndApprovals() {
    assertEquals("tandem", SessionLook.statusText(0, 0));
    assertEquals("tandem: 1 running", SessionLook.statusText(1, 0));
    assertEquals("tandem: 2 approvals", SessionLook.statusText(0, 2));
    assertEquals("tandem: 3 running · 1 approval", SessionLook.statusText(3, 1));
  }
}
