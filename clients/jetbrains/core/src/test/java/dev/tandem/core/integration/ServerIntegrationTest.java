package dev.tandem.core.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tandem.core.ClientState;
import dev.tandem.core.ClientState.AnswerState;
import dev.tandem.core.ClientState.Approval;
import dev.tandem.core.ClientState.ApprovalCard;
import dev.tandem.core.ClientState.Message;
import dev.tandem.core.SessionLook;
import dev.tandem.core.Settings;
import dev.tandem.core.StdioServer;
import dev.tandem.core.TandemClient;
import dev.tandem.core.protocol.Protocol;
import dev.tandem.core.protocol.Protocol.ApprovalRequestedParams;
import dev.tandem.core.protocol.Protocol.ChatUpdateParams;
import dev.tandem.core.protocol.Protocol.SessionGetResult;
import dev.tandem.core.protocol.Protocol.SessionSnapshot;
import dev.tandem.core.protocol.Protocol.SessionStatus;
import dev.tandem.core.rpc.ResponseErrorException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The core against the real server over stdio, as the plugin would use it: the scripted model and
 * the GitLab stand-in are started by the mocha harness (test/jetbrains), which writes where they
 * are to the file named by {@code TANDEM_IT_CONFIG}. Secrets reach the server only through
 * {@code workspace/configuration}, as from the IDE's password store.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServerIntegrationTest {
  private static final long WAIT_MS = 60_000;

  private JsonObject config;
  private final List<StdioServer> servers = new ArrayList<>();
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());

  /** A server with what the test saw of it. */
  private final class Run {
    final StdioServer server;
    final TandemClient client;
    final ClientState state;
    final List<Approval> asked = new CopyOnWriteArrayList<>();
    final Map<String, List<SessionStatus>> statuses = new ConcurrentHashMap<>();

    Run(JsonObject world) throws IOException {
      List<String> command = new ArrayList<>();
      for (JsonElement part : config.getAsJsonArray("server")) command.add(part.getAsString());
      JsonObject settings = settingsOf(world);
      server =
          StdioServer.start(
              command,
              Map.of("TANDEM_STATE_DIR", world.get("stateDir").getAsString()),
              new File(world.get("workspace").getAsString()),
              () -> settings,
              log::add);
      servers.add(server);
      client = server.client();
      state = client.state();
      client.onNewApproval(asked::add);
      state.subscribe(
          (what, id) -> {
            if (what != ClientState.Change.SESSIONS) return;
            SessionSnapshot s = state.session(id);
            statuses.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(s.status);
          });
    }
  }

  /** The {@code tandem} section: model and GitLab with their secrets, plus the test's tuning. */
  private static JsonObject settingsOf(JsonObject world) {
    JsonObject model = world.getAsJsonObject("model");
    JsonObject gitlab = world.getAsJsonObject("gitlab");
    JsonObject section =
        Settings.section(
            model.get("baseUrl").getAsString(),
            model.get("name").getAsString(),
            gitlab.get("url").getAsString(),
            model.get("apiKey").getAsString(),
            gitlab.get("token").getAsString());
    JsonObject extra = world.getAsJsonObject("extra");
    for (String key : extra.keySet()) {
      JsonObject into = section.has(key) ? section.getAsJsonObject(key) : new JsonObject();
      for (Map.Entry<String, JsonElement> e : extra.getAsJsonObject(key).entrySet()) into.add(e.getKey(), e.getValue());
      section.add(key, into);
    }
    return section;
  }

  @BeforeAll
  void readConfig() throws IOException {
    String file = System.getenv("TANDEM_IT_CONFIG");
    Assumptions.assumeTrue(file != null, "run through test/jetbrains (npm test), which starts the stand-ins");
    config = JsonParser.parseString(Files.readString(Path.of(file))).getAsJsonObject();
  }

  @AfterAll
  void stopServers() {
    for (StdioServer s : servers) s.close();
  }

  private static void await(Supplier<Boolean> condition, String what, long ms) throws InterruptedException {
    long deadline = System.currentTimeMillis() + ms;
    while (!condition.get()) {
      if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(50);
    }
  }

  private String failure(ExecutionException e) {
    return TandemClient.messageOf(e);
  }

  private Run review;
  private String mrUrl;

  @Test
  @Order(1)
  void chatFlowApprovalRunningCompleted() throws Exception {
    JsonObject world = config.getAsJsonObject("review");
    mrUrl = world.get("mrUrl").getAsString();
    review = new Run(world);
    Run r = review;

    r.client.chatSend("review " + mrUrl).get(30, TimeUnit.SECONDS);
    await(() -> r.asked.size() == 1, "the flow approval", WAIT_MS);
    Approval approval = r.asked.get(0);
    ApprovalRequestedParams p = approval.request();
    assertEquals(ApprovalRequestedParams.Kind.FLOW, p.kind);
    assertEquals(Protocol.FlowId.CODE_REVIEW, p.flow.id);
    assertEquals("Code Review", p.flow.name);
    assertEquals("group/app!7", p.reference.label);
    assertEquals(mrUrl, p.reference.url);
    assertEquals(r.state.conversationId(), p.conversationId);
    assertTrue(r.state.items().stream().anyMatch(i -> i instanceof ApprovalCard c && c.approvalId().equals(p.approvalId)), "the card is in the chat");
    assertEquals(List.of(approval.id()), r.state.openApprovals().stream().map(Approval::id).toList());

    assertEquals(Protocol.Decision.APPROVE, r.client.approve(p.approvalId, Protocol.Scope.ONCE).get(30, TimeUnit.SECONDS).decision);
    await(() -> r.state.approval(p.approvalId).state() == AnswerState.APPROVED, "approval/resolved", WAIT_MS);
    assertTrue(r.state.openApprovals().isEmpty());

    await(() -> widget(r) != null, "the session widget in the chat", WAIT_MS);
    String sessionId = widget(r).sessionId();
    await(() -> r.state.session(sessionId) != null && r.state.session(sessionId).status == SessionStatus.COMPLETED, "the session to complete", WAIT_MS);
    List<SessionStatus> seen = r.statuses.get(sessionId);
    assertTrue(seen.contains(SessionStatus.RUNNING), "it was seen running: " + seen);
    assertEquals(SessionStatus.COMPLETED, seen.get(seen.size() - 1), seen.toString());
    assertEquals(Protocol.Trigger.CHAT, r.state.session(sessionId).trigger);
    assertEquals(1, r.state.running() == 0 ? 1 : 0, "nothing is left running");

    SessionGetResult details = r.client.sessionGet(sessionId).get(30, TimeUnit.SECONDS);
    assertFalse(details.steps.isEmpty());
    assertTrue(details.steps.stream().allMatch(s -> s.status == SessionGetResult.Step.Status.COMPLETED), "every step completed");
    assertTrue(details.session.result.summary.startsWith("Reviewed 2 files of group/app!7"), details.session.result.summary);
    assertFalse(details.session.result.links.isEmpty());
    assertTrue(details.metrics.modelCalls >= 1);
    r.client.sessionOpened(sessionId, Protocol.SessionOpenedParams.Source.LIST);

    String url = r.client.webviewInfo().get(30, TimeUnit.SECONDS).url;
    assertTrue(url.startsWith("http://127.0.0.1:") && url.contains("token="), url);
    report("chat: approval \"" + p.title + "\" → " + seen + " → " + SessionLook.line(r.state.session(sessionId)));
  }

  private static Message widget(Run r) {
    for (ClientState.ChatItem i : r.state.items()) {
      if (i instanceof Message m && m.sessionId() != null) return m;
    }
    return null;
  }

  @Test
  @Order(2)
  void denyTellsTheModelAndNoSessionStarts() throws Exception {
    Run r = review;
    Assumptions.assumeTrue(r != null, "needs the first test's server");
    int sessionsBefore = r.client.sessionList().get(30, TimeUnit.SECONDS).sessions.size();
    int askedBefore = r.asked.size();
    r.state.newConversation();
    r.client.chatSend("review " + mrUrl).get(30, TimeUnit.SECONDS);
    await(() -> r.asked.size() == askedBefore + 1, "the second flow approval", WAIT_MS);
    String id = r.asked.get(askedBefore).id();

    r.client.deny(id, "not now").get(30, TimeUnit.SECONDS);
    await(() -> r.state.approval(id).state() == AnswerState.DENIED, "the denial", WAIT_MS);
    await(
        () -> r.state.items().stream().anyMatch(i -> i instanceof Message m && m.role() == ChatUpdateParams.Role.ASSISTANT && m.done() && m.text().startsWith("No problem, I will not run it")),
        "the model's answer after the denial",
        WAIT_MS);

    // Answered twice: refused here before it is sent, and by the server when forged past this client.
    ExecutionException local = assertThrows(ExecutionException.class, () -> r.client.approve(id, null).get(5, TimeUnit.SECONDS));
    assertEquals("that approval was already answered", failure(local));
    JsonObject forged = new JsonObject();
    forged.addProperty("approvalId", id);
    forged.addProperty("decision", "approve");
    ExecutionException remote = assertThrows(ExecutionException.class, () -> r.server.request(Protocol.Methods.APPROVAL_RESPOND, forged).get(5, TimeUnit.SECONDS));
    assertInstanceOf(ResponseErrorException.class, remote.getCause());
    ClientState.ChatItem last = r.state.items().get(r.state.items().size() - 1);
    report("deny → the model says: " + ((Message) last).text());
    report("a forged second answer: " + remote.getCause().getMessage());

    assertEquals(sessionsBefore, r.client.sessionList().get(30, TimeUnit.SECONDS).sessions.size(), "no session started");
  }

  @Test
  @Order(3)
  void fixPipelineAsksForEachCommandAndCompletesWhenApproved() throws Exception {
    Assumptions.assumeTrue(config.has("fixPipeline") && config.get("fixPipeline").isJsonObject(), "needs Docker");
    JsonObject world = config.getAsJsonObject("fixPipeline");
    Run r = new Run(world);
    List<String> commands = new CopyOnWriteArrayList<>();
    r.client.onNewApproval(
        a -> {
          r.asked.add(a);
          if (a.request().kind != ApprovalRequestedParams.Kind.COMMAND) return;
          commands.add(a.request().command.command);
          r.client.approve(a.id(), Protocol.Scope.ONCE);
        });
    String sessionId = r.client.flowStart(Protocol.FlowId.FIX_PIPELINE, world.get("pipelineUrl").getAsString()).get(30, TimeUnit.SECONDS).sessionId;
    await(
        () -> {
          SessionSnapshot s = r.state.session(sessionId);
          return s != null && Protocol.FINAL_STATUSES.contains(s.status);
        },
        "Fix Pipeline to finish",
        240_000);
    SessionSnapshot done = r.state.session(sessionId);
    assertEquals(SessionStatus.COMPLETED, done.status, done.error);
    assertEquals(Protocol.Trigger.UI, done.trigger);
    assertTrue(commands.size() >= 2, "commands asked: " + commands);
    assertTrue(commands.get(0).contains("npm test"), commands.get(0));
    for (Approval a : r.asked) {
      assertEquals(ApprovalRequestedParams.Kind.COMMAND, a.request().kind, "a UI-started flow asks only for commands");
      assertEquals(sessionId, a.request().sessionId);
      assertEquals(AnswerState.APPROVED, r.state.approval(a.id()).state());
    }
    assertTrue(done.result.links.stream().anyMatch(l -> l.label.startsWith("Merge")), "links to the merge request");
    assertNotNull(r.state.session(sessionId).result);
    report("Fix Pipeline " + sessionId + ": " + commands.size() + " commands approved, then " + SessionLook.line(done));
  }

  @Test
  @Order(4)
  void noSecretReachesWhatTheServerAndClientLogged() throws Exception {
    List<String> secrets = new ArrayList<>();
    for (String world : List.of("review", "fixPipeline")) {
      if (!config.has(world) || !config.get(world).isJsonObject()) continue;
      secrets.add(config.getAsJsonObject(world).getAsJsonObject("model").get("apiKey").getAsString());
      secrets.add(config.getAsJsonObject(world).getAsJsonObject("gitlab").get("token").getAsString());
    }
    List<String> lines;
    synchronized (log) {
      lines = List.copyOf(log);
    }
    for (String dir : List.of("review", "fixPipeline")) {
      if (!config.has(dir) || !config.get(dir).isJsonObject()) continue;
      Path state = Path.of(config.getAsJsonObject(dir).get("stateDir").getAsString());
      if (!Files.isDirectory(state)) continue;
      try (var files = Files.walk(state)) {
        for (Path f : files.filter(f -> f.toString().endsWith(".log") && Files.isRegularFile(f)).toList()) {
          lines = new ArrayList<>(lines);
          lines.addAll(Files.readAllLines(f));
        }
      }
    }
    for (String secret : secrets) {
      for (String line : lines) assertFalse(line.contains(secret), "a secret in: " + line);
    }
    report(lines.size() + " log lines (stderr, client, log files) checked for " + secrets.size() + " secrets: none found");
  }

  /** A line for the harness to show under the test. */
  private static void report(String line) {
    System.out.println("[it] " + line);
  }
}
