package dev.tandem.core;

import static dev.tandem.core.Fixtures.flowApproval;
import static dev.tandem.core.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import dev.tandem.core.ClientState.AnswerState;
import dev.tandem.core.protocol.Protocol;
import dev.tandem.core.protocol.Protocol.Methods;
import dev.tandem.core.rpc.ResponseErrorException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TandemClientTest {
  /** Records what the client sends and answers from a queue the test fills. */
  static final class FakeTransport implements Transport {
    final List<String> requests = new ArrayList<>();
    final List<JsonElement> params = new ArrayList<>();
    final List<CompletableFuture<JsonElement>> answers = new ArrayList<>();

    @Override
    public CompletableFuture<JsonElement> request(String method, Object p) {
      requests.add(method);
      params.add(Json.toTree(p));
      CompletableFuture<JsonElement> f = new CompletableFuture<>();
      answers.add(f);
      return f;
    }

    @Override
    public void notify(String method, Object p) {
      requests.add("notify " + method);
      params.add(Json.toTree(p));
    }
  }

  private final FakeTransport transport = new FakeTransport();
  private final TandemClient client = new TandemClient(transport, new ClientState());
  private final List<String> prompted = new ArrayList<>();
  private final List<String> logged = new ArrayList<>();

  {
    client.onNewApproval(a -> prompted.add(a.id()));
    client.onLog(logged::add);
  }

  @Test
  void continuesTheConversationTheServerNamed() throws Exception {
    var first = client.chatSend("review !7");
    assertNull(transport.params.get(0).getAsJsonObject().get("conversationId"));
    transport.answers.get(0).complete(json("{'conversationId':'c9','turnId':'t1'}"));
    assertEquals("c9", first.get(1, TimeUnit.SECONDS).conversationId);
    client.chatSend("and then?");
    assertEquals("c9", transport.params.get(1).getAsJsonObject().get("conversationId").getAsString());
  }

  @Test
  void asksThePersonOnceForEachApprovalEvenWhenTheServerResendsIt() {
    client.notification(Methods.APPROVAL_REQUESTED, flowApproval("a1", "t"));
    client.notification(Methods.APPROVAL_REQUESTED, flowApproval("a1", "t"));
    client.notification(Methods.APPROVAL_REQUESTED, flowApproval("a2", "t"));
    assertEquals(List.of("a1", "a2"), prompted);
  }

  @Test
  void answersOnceAndASecondAnswerNeverReachesTheServer() throws Exception {
    client.notification(Methods.APPROVAL_REQUESTED, flowApproval("a1", "t"));
    var approve = client.approve("a1", Protocol.Scope.ONCE);
    var again = client.deny("a1", "no");
    ExecutionException e = assertThrows(ExecutionException.class, () -> again.get(1, TimeUnit.SECONDS));
    assertEquals("that approval was already answered", e.getCause().getMessage());
    assertEquals(List.of(Methods.APPROVAL_RESPOND), transport.requests);
    assertEquals("{\"approvalId\":\"a1\",\"decision\":\"approve\",\"scope\":\"once\"}", transport.params.get(0).toString());
    transport.answers.get(0).complete(json("{'approvalId':'a1','decision':'approve','scope':'once'}"));
    assertEquals(Protocol.Decision.APPROVE, approve.get(1, TimeUnit.SECONDS).decision);
    client.notification(Methods.APPROVAL_RESOLVED, json("{'approvalId':'a1','decision':'approve','scope':'once'}"));
    assertEquals(AnswerState.APPROVED, client.state().approval("a1").state());
  }

  @Test
  void aFailedAnswerLeavesTheApprovalPendingWithTheServersReason() {
    client.notification(Methods.APPROVAL_REQUESTED, flowApproval("a1", "t"));
    var deny = client.deny("a1", "  ");
    assertEquals("{\"approvalId\":\"a1\",\"decision\":\"deny\"}", transport.params.get(0).toString(), "blank feedback is left out");
    transport.answers.get(0).completeExceptionally(new ResponseErrorException(-32602, "that approval expired", null));
    assertThrows(ExecutionException.class, () -> deny.get(1, TimeUnit.SECONDS));
    assertEquals(AnswerState.PENDING, client.state().approval("a1").state());
    assertEquals("that approval expired", client.state().approval("a1").reason());
  }

  @Test
  void aMalformedNotificationIsLoggedAndChangesNothing() {
    client.notification(Methods.APPROVAL_REQUESTED, json("{'approvalId':'a1','kind':'flow'}"));
    client.notification(Methods.SESSION_STATUS, json("[]"));
    client.notification("tandem/unknown", json("{}"));
    assertTrue(client.state().openApprovals().isEmpty());
    assertTrue(prompted.isEmpty());
    assertEquals(3, logged.size(), logged.toString());
    assertTrue(logged.get(0).contains("tandem/approval/requested: title is missing"), logged.get(0));
  }

  @Test
  void uiFlowsCarryTheUiTriggerAndListsMergeIntoTheState() throws Exception {
    client.flowStart(Protocol.FlowId.FIX_PIPELINE, "group/app pipeline 42");
    assertEquals(
        "{\"flow\":\"fix_pipeline\",\"reference\":\"group/app pipeline 42\",\"trigger\":\"ui\"}",
        transport.params.get(0).toString());
    var list = client.sessionList();
    transport.answers.get(1).complete(json("{'sessions':[" + Fixtures.snapshot("s1", 4, "running", "t") + "]}"));
    list.get(1, TimeUnit.SECONDS);
    assertEquals(4L, client.state().session("s1").seq);
    var badResult = client.webviewInfo();
    transport.answers.get(2).complete(json("{'url':'http://127.0.0.1:1/'}"));
    ExecutionException e = assertThrows(ExecutionException.class, () -> badResult.get(1, TimeUnit.SECONDS));
    assertEquals("tandem/webview/info result: protocolVersion is missing (or has a value this client does not know)", e.getCause().getMessage());
    client.sessionOpened("s1", Protocol.SessionOpenedParams.Source.LIST);
    assertEquals("notify " + Methods.SESSION_OPENED, transport.requests.get(3));
  }
}
