package dev.tandem.core;

import static dev.tandem.core.Fixtures.chat;
import static dev.tandem.core.Fixtures.flowApproval;
import static dev.tandem.core.Fixtures.json;
import static dev.tandem.core.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.ClientState.AnswerState;
import dev.tandem.core.ClientState.ApprovalCard;
import dev.tandem.core.ClientState.Change;
import dev.tandem.core.ClientState.Message;
import dev.tandem.core.protocol.Protocol.Methods;
import dev.tandem.core.protocol.Protocol.SessionStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientStateTest {
  private final ClientState state = new ClientState();
  private final List<String> changes = new ArrayList<>();

  {
    state.subscribe((what, id) -> changes.add(what + (id == null ? "" : ":" + id)));
  }

  @Test
  void keepsTheNewestSnapshotBySeqWhateverTheArrivalOrder() {
    assertTrue(state.accept(Methods.SESSION_STATUS, snapshot("s1", 2, "running", "2026-01-01T00:00:00Z")));
    state.accept(Methods.SESSION_STATUS, snapshot("s1", 5, "completed", "2026-01-01T00:00:00Z"));
    state.accept(Methods.SESSION_STATUS, snapshot("s1", 4, "running", "2026-01-01T00:00:00Z"));
    state.accept(Methods.SESSION_STATUS, snapshot("s1", 5, "failed", "2026-01-01T00:00:00Z"));
    assertEquals(SessionStatus.COMPLETED, state.session("s1").status);
    assertEquals(5L, state.session("s1").seq);
    assertEquals(List.of("SESSIONS:s1", "SESSIONS:s1"), changes, "stale snapshots announce nothing");
  }

  @Test
  void listsSessionsNewestFirstAndCountsThoseNotFinished() {
    state.accept(Methods.SESSION_STATUS, snapshot("old", 1, "completed", "2026-01-01T00:00:00Z"));
    state.accept(Methods.SESSION_STATUS, snapshot("mid", 1, "awaiting_approval", "2026-01-02T00:00:00Z"));
    state.accept(Methods.SESSION_STATUS, snapshot("new", 1, "running", "2026-01-03T00:00:00Z"));
    state.accept(Methods.SESSION_STATUS, snapshot("x", 1, "cancelled", "2026-01-04T00:00:00Z"));
    assertEquals(List.of("x", "new", "mid", "old"), state.sessionsNewestFirst().stream().map(s -> s.sessionId).toList());
    assertEquals(2, state.running());
  }

  @Test
  void aRejectedPayloadLeavesTheStateAsItWas() {
    state.accept(Methods.SESSION_STATUS, snapshot("s1", 1, "running", "2026-01-01T00:00:00Z"));
    var bad = snapshot("s1", 9, "completed", "2026-01-01T00:00:00Z").getAsJsonObject();
    bad.remove("reference");
    assertThrows(ProtocolException.class, () -> state.accept(Methods.SESSION_STATUS, bad));
    assertEquals(SessionStatus.RUNNING, state.session("s1").status);
  }

  @Test
  void buildsMessagesFromDeltasAndWholeTexts() {
    state.accept(Methods.CHAT_UPDATE, chat("m1", "user", "text", "review !7", true));
    state.accept(Methods.CHAT_UPDATE, chat("m2", "assistant", "delta", "That merge ", false));
    state.accept(Methods.CHAT_UPDATE, chat("m2", "assistant", "delta", "request", false));
    state.accept(Methods.CHAT_UPDATE, chat("m2", "assistant", null, null, true));
    List<ClientState.ChatItem> items = state.items();
    assertEquals(2, items.size());
    Message answer = assertInstanceOf(Message.class, items.get(1));
    assertEquals("That merge request", answer.text());
    assertTrue(answer.done());
    state.accept(Methods.CHAT_UPDATE, chat("m2", "assistant", "text", "Replaced.", true));
    assertEquals("Replaced.", ((Message) state.items().get(1)).text());
    assertEquals("c1", state.conversationId());
  }

  @Test
  void aWidgetMessageKeepsItsSessionAndAnErrorStays() {
    var widget = chat("w1", "assistant", "text", "", true).getAsJsonObject();
    widget.add("widget", json("{'sessionId':'s1'}"));
    state.accept(Methods.CHAT_UPDATE, widget);
    state.accept(Methods.CHAT_UPDATE, chat("w1", "assistant", "text", "", true));
    assertEquals("s1", ((Message) state.items().get(0)).sessionId());
    var failed = chat("m3", "assistant", "text", "", true).getAsJsonObject();
    failed.add("error", json("{'message':'The model is rate limited; try again in a minute.','retryable':true}"));
    state.accept(Methods.CHAT_UPDATE, failed);
    Message m = (Message) state.items().get(1);
    assertTrue(m.error().retryable);
  }

  @Test
  void approvalsArePlacedInTheChatOnceAndListedOldestFirst() {
    state.accept(Methods.CHAT_UPDATE, chat("m1", "user", "text", "review", true));
    state.accept(Methods.APPROVAL_REQUESTED, flowApproval("a2", "2026-01-01T00:00:02Z"));
    state.accept(Methods.APPROVAL_REQUESTED, flowApproval("a1", "2026-01-01T00:00:01Z"));
    state.accept(Methods.APPROVAL_REQUESTED, flowApproval("a2", "2026-01-01T00:00:02Z"));
    assertEquals(List.of("a1", "a2"), state.openApprovals().stream().map(ClientState.Approval::id).toList());
    long cards = state.items().stream().filter(i -> i instanceof ApprovalCard).count();
    assertEquals(2, cards);
  }

  @Test
  void anApprovalCanBeClaimedForAnAnswerOnlyOnce() {
    assertTrue(state.approvalRequested(Json.read(flowApproval("a1", "t"), dev.tandem.core.protocol.Protocol.ApprovalRequestedParams.class, "m")));
    assertTrue(state.beginAnswer("a1"));
    assertFalse(state.beginAnswer("a1"), "a second click does not answer again");
    assertEquals(AnswerState.ANSWERING, state.approval("a1").state());
    state.answerFailed("a1", "the server is gone");
    assertEquals(AnswerState.PENDING, state.approval("a1").state());
    assertEquals("the server is gone", state.approval("a1").reason());
    assertTrue(state.beginAnswer("a1"));
    state.accept(Methods.APPROVAL_RESOLVED, json("{'approvalId':'a1','decision':'deny'}"));
    assertEquals(AnswerState.DENIED, state.approval("a1").state());
    assertFalse(state.beginAnswer("a1"));
    assertFalse(state.beginAnswer("unknown"));
    assertTrue(state.openApprovals().isEmpty());
  }

  @Test
  void aResentApprovalKeepsTheAnswerUnderWay() {
    state.accept(Methods.APPROVAL_REQUESTED, flowApproval("a1", "t"));
    state.beginAnswer("a1");
    assertFalse(state.approvalRequested(Json.read(flowApproval("a1", "t"), dev.tandem.core.protocol.Protocol.ApprovalRequestedParams.class, "m")));
    assertEquals(AnswerState.ANSWERING, state.approval("a1").state());
  }

  @Test
  void resolvedForAnotherClientsApprovalIsIgnored() {
    state.accept(Methods.APPROVAL_RESOLVED, json("{'approvalId':'zz','decision':'approve','scope':'always'}"));
    assertNull(state.approval("zz"));
    assertTrue(changes.isEmpty());
  }

  @Test
  void whenTheServerStopsOpenApprovalsAreForgottenAndAnsweredOnesKept() {
    state.accept(Methods.APPROVAL_REQUESTED, flowApproval("open", "t1"));
    state.accept(Methods.APPROVAL_REQUESTED, flowApproval("done", "t2"));
    state.accept(Methods.APPROVAL_RESOLVED, json("{'approvalId':'done','decision':'approve'}"));
    changes.clear();
    state.serverStopped();
    assertNull(state.approval("open"));
    assertEquals(AnswerState.APPROVED, state.approval("done").state());
    assertEquals(List.of("APPROVALS:open"), changes);
  }

  @Test
  void aNewConversationStartsEmpty() {
    state.accept(Methods.CHAT_UPDATE, chat("m1", "user", "text", "hi", true));
    state.newConversation();
    assertTrue(state.items().isEmpty());
    assertNull(state.conversationId());
    assertEquals(Change.CHAT.name(), changes.get(changes.size() - 1));
  }

  @Test
  void aListenerThatThrowsDoesNotStopTheOthers() {
    List<String> heard = new ArrayList<>();
    ClientState s = new ClientState();
    s.subscribe((what, id) -> {
      throw new IllegalStateException("broken view");
    });
    s.subscribe((what, id) -> heard.add(id));
    s.accept(Methods.SESSION_STATUS, snapshot("s1", 1, "running", "t"));
    assertEquals(List.of("s1"), heard);
  }

  @Test
  void aResolutionThatArrivesBeforeItsRequestIsNotAskedAgain() {
    state.accept(Methods.APPROVAL_RESOLVED, json("{'approvalId':'a1','decision':'deny','reason':'answered in VS Code'}"));
    assertFalse(state.approvalRequested(Json.read(flowApproval("a1", "t"), dev.tandem.core.protocol.Protocol.ApprovalRequestedParams.class, "m")));
    assertEquals(AnswerState.DENIED, state.approval("a1").state());
    assertEquals("answered in VS Code", state.approval("a1").reason());
    assertTrue(state.openApprovals().isEmpty());
  }

  @Test
  void aDeltaThatArrivesAfterTheFinalTextIsIgnored() {
    state.accept(Methods.CHAT_UPDATE, chat("m1", "assistant", "delta", "Hel", false));
    state.accept(Methods.CHAT_UPDATE, chat("m1", "assistant", "text", "Hello there.", true));
    state.accept(Methods.CHAT_UPDATE, chat("m1", "assistant", "delta", "lo", false));
    Message m = (Message) state.items().get(0);
    assertEquals("Hello there.", m.text());
    assertTrue(m.done());
  }
}
