package dev.tandem.core;

import static dev.tandem.core.Fixtures.json;
import static dev.tandem.core.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.tandem.core.protocol.Protocol;
import dev.tandem.core.protocol.Protocol.ApprovalRespondParams;
import dev.tandem.core.protocol.Protocol.SessionGetResult;
import dev.tandem.core.protocol.Protocol.SessionSnapshot;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void readsASnapshotWithEnumsAndNestedObjects() {
    SessionSnapshot s = Json.read(snapshot("s1", 3, "awaiting_approval", "2026-01-01T00:00:00Z"), SessionSnapshot.class, "x");
    assertEquals("s1", s.sessionId);
    assertEquals(3L, s.seq);
    assertEquals(Protocol.SessionStatus.AWAITING_APPROVAL, s.status);
    assertEquals(Protocol.FlowId.CODE_REVIEW, s.flow);
    assertEquals(Protocol.Reference.Kind.MERGE_REQUEST, s.reference.kind);
    assertEquals("group/app!7", s.reference.label);
    assertNull(s.result);
  }

  @Test
  void namesTheMethodAndTheFieldThatIsMissing() {
    JsonObject bad = snapshot("s1", 1, "running", "2026-01-01T00:00:00Z").getAsJsonObject();
    bad.remove("seq");
    ProtocolException e = assertThrows(ProtocolException.class, () -> Json.read(bad, SessionSnapshot.class, "tandem/session/status"));
    assertEquals("tandem/session/status: seq is missing (or has a value this client does not know)", e.getMessage());
  }

  @Test
  void findsAMissingFieldInsideNestedObjectsAndLists() {
    JsonObject bad = snapshot("s1", 1, "completed", "2026-01-01T00:00:00Z").getAsJsonObject();
    bad.add("result", json("{'summary':'done','links':[{'label':'MR','url':'u'},{'label':'note'}]}"));
    ProtocolException e = assertThrows(ProtocolException.class, () -> Json.read(bad, SessionSnapshot.class, "m"));
    assertTrue(e.getMessage().contains("result.links[1].url is missing"), e.getMessage());
  }

  @Test
  void anUnknownEnumValueIsReportedNotSilentlyNull() {
    JsonObject bad = snapshot("s1", 1, "exploded", "2026-01-01T00:00:00Z").getAsJsonObject();
    ProtocolException e = assertThrows(ProtocolException.class, () -> Json.read(bad, SessionSnapshot.class, "m"));
    assertTrue(e.getMessage().contains("status is missing (or has a value this client does not know)"));
  }

  @Test
  void wrongTypesAndMalformedTextAreProtocolErrors() {
    JsonObject bad = snapshot("s1", 1, "running", "2026-01-01T00:00:00Z").getAsJsonObject();
    bad.addProperty("seq", "three");
    assertThrows(ProtocolException.class, () -> Json.read(bad, SessionSnapshot.class, "m"));
    assertThrows(ProtocolException.class, () -> Json.read(json("[1,2]"), SessionSnapshot.class, "m"));
    ProtocolException e = assertThrows(ProtocolException.class, () -> Json.read("{\"sessionId\":", SessionSnapshot.class, "m"));
    assertTrue(e.getMessage().startsWith("m: not JSON"), e.getMessage());
    assertThrows(ProtocolException.class, () -> Json.read((com.google.gson.JsonElement) null, SessionSnapshot.class, "m"));
  }

  @Test
  void writesWireNamesAndLeavesOutUnsetFields() {
    ApprovalRespondParams p = new ApprovalRespondParams();
    p.approvalId = "a1";
    p.decision = Protocol.Decision.APPROVE;
    p.scope = Protocol.Scope.SESSION;
    assertEquals("{\"approvalId\":\"a1\",\"decision\":\"approve\",\"scope\":\"session\"}", Json.toTree(p).toString());
  }

  @Test
  void keepsFreeFormEventDataAsJson() {
    SessionGetResult r =
        Json.read(
            json(
                "{'session':"
                    + snapshot("s1", 1, "running", "2026-01-01T00:00:00Z")
                    + ",'steps':[{'name':'fetch_diff','status':'completed','startedAt':'t'}],"
                    + "'events':[{'id':1,'at':'t','type':'api_call','message':'GET','data':{'status':200,'nested':[1]}}],"
                    + "'metrics':{'durationMs':12.5,'promptTokens':10,'completionTokens':2,'modelCalls':1},"
                    + "'checkpoints':[{'checkpointId':'1','at':'t','kind':'step','label':'After step fetch_diff','step':'fetch_diff'}]}"),
            SessionGetResult.class,
            "tandem/session/get result");
    assertEquals(SessionGetResult.Step.Status.COMPLETED, r.steps.get(0).status);
    assertEquals(200, r.events.get(0).data.getAsJsonObject().get("status").getAsInt());
    assertEquals(12.5, r.metrics.durationMs);
    assertFalse(r.events.isEmpty());
    assertEquals("1", r.checkpoints.get(0).checkpointId);
  }
}
