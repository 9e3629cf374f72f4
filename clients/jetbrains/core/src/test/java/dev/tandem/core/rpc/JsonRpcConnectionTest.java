package dev.tandem.core.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The connection against a peer played by the test over pipes, byte by byte where it matters. */
class JsonRpcConnectionTest {
  private PipedOutputStream toClient;
  private PipedInputStream fromClient;
  private JsonRpcConnection rpc;
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private final LinkedBlockingQueue<JsonObject> sent = new LinkedBlockingQueue<>();

  @BeforeEach
  void connect() throws IOException {
    toClient = new PipedOutputStream();
    InputStream clientIn = new PipedInputStream(toClient, 1 << 16);
    fromClient = new PipedInputStream(1 << 16);
    OutputStream clientOut = new PipedOutputStream(fromClient);
    rpc = new JsonRpcConnection(clientIn, clientOut, "the test peer");
    rpc.onLog(log::add);
    Thread pump =
        new Thread(
            () -> {
              try {
                for (; ; ) sent.add(readFrame(fromClient));
              } catch (IOException e) {
                // closed
              }
            });
    pump.setDaemon(true);
    pump.start();
  }

  @AfterEach
  void close() throws IOException {
    rpc.close();
    toClient.close();
  }

  private static JsonObject readFrame(InputStream in) throws IOException {
    StringBuilder header = new StringBuilder();
    while (!header.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) throw new IOException("end");
      header.append((char) b);
    }
    int length = Integer.parseInt(header.toString().replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
    return JsonParser.parseString(new String(in.readNBytes(length), StandardCharsets.UTF_8)).getAsJsonObject();
  }

  private void send(String json) throws IOException {
    byte[] body = json.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    toClient.write(("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    toClient.write(body);
    toClient.flush();
  }

  private JsonObject next() throws InterruptedException {
    JsonObject m = sent.poll(5, TimeUnit.SECONDS);
    if (m == null) throw new AssertionError("the client sent nothing");
    return m;
  }

  @Test
  void matchesResponsesToRequestsInAnyOrder() throws Exception {
    rpc.start();
    var first = rpc.request("a", new JsonObject());
    var second = rpc.request("b", null);
    JsonObject r1 = next();
    JsonObject r2 = next();
    assertEquals("a", r1.get("method").getAsString());
    assertEquals("2.0", r1.get("jsonrpc").getAsString());
    assertTrue(!r2.has("params"));
    send("{'jsonrpc':'2.0','id':" + r2.get("id") + ",'result':{'x':2}}");
    send("{'jsonrpc':'2.0','id':" + r1.get("id") + ",'result':'one'}");
    assertEquals("one", first.get(5, TimeUnit.SECONDS).getAsString());
    assertEquals(2, second.get(5, TimeUnit.SECONDS).getAsJsonObject().get("x").getAsInt());
  }

  @Test
  void anErrorResponseFailsTheRequestWithItsCodeAndMessage() throws Exception {
    rpc.start();
    var future = rpc.request("tandem/approval/respond", new JsonObject());
    JsonObject request = next();
    send("{'jsonrpc':'2.0','id':" + request.get("id") + ",'error':{'code':-32602,'message':'that approval was already answered'}}");
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    ResponseErrorException error = assertInstanceOf(ResponseErrorException.class, e.getCause());
    assertEquals(-32602, error.code());
    assertEquals("that approval was already answered", error.getMessage());
  }

  @Test
  void readsFramesSplitAcrossWritesAndSeveralInOneWrite() throws Exception {
    LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
    rpc.onNotification("n", p -> heard.add(p.getAsJsonObject().get("v").getAsString()));
    rpc.start();
    String one = "{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":{\"v\":\"é1\"}}";
    byte[] body = one.getBytes(StandardCharsets.UTF_8);
    byte[] frame = ("Content-Length: " + body.length + "\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + one).getBytes(StandardCharsets.UTF_8);
    for (byte b : frame) {
      toClient.write(b);
      toClient.flush();
    }
    String two = one.replace("é1", "2");
    String three = one.replace("é1", "3");
    toClient.write(("Content-Length: " + two.length() + "\r\n\r\n" + two + "Content-Length: " + three.length() + "\r\n\r\n" + three).getBytes(StandardCharsets.UTF_8));
    toClient.flush();
    assertEquals("é1", heard.poll(5, TimeUnit.SECONDS));
    assertEquals("2", heard.poll(5, TimeUnit.SECONDS));
    assertEquals("3", heard.poll(5, TimeUnit.SECONDS));
  }

  @Test
  void malformedMessagesAreAnsweredAndSkippedAndTheConnectionKeepsServing() throws Exception {
    LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
    rpc.onNotification("n", p -> heard.add("n"));
    rpc.start();
    send("{not json");
    JsonObject parseError = next();
    assertEquals(ResponseErrorException.PARSE_ERROR, parseError.getAsJsonObject("error").get("code").getAsInt());
    send("[1,2]");
    assertEquals(ResponseErrorException.INVALID_REQUEST, next().getAsJsonObject("error").get("code").getAsInt());
    send("{'jsonrpc':'2.0','id':99,'result':1}");
    send("{'jsonrpc':'2.0','method':'n'}");
    assertEquals("n", heard.poll(5, TimeUnit.SECONDS));
    assertTrue(log.stream().anyMatch(l -> l.contains("unknown request id 99")), log.toString());
  }

  @Test
  void answersTheServersRequestsAndRefusesUnknownOnes() throws Exception {
    rpc.onRequest("workspace/configuration", params -> new JsonPrimitive("settings"));
    rpc.onRequest("boom", params -> {
      throw new IllegalStateException("it broke");
    });
    rpc.start();
    send("{'jsonrpc':'2.0','id':'x1','method':'workspace/configuration','params':{}}");
    JsonObject answer = next();
    assertEquals("x1", answer.get("id").getAsString());
    assertEquals("settings", answer.get("result").getAsString());
    send("{'jsonrpc':'2.0','id':7,'method':'nope'}");
    JsonObject refused = next();
    assertEquals(7, refused.get("id").getAsInt());
    assertEquals(ResponseErrorException.METHOD_NOT_FOUND, refused.getAsJsonObject("error").get("code").getAsInt());
    send("{'jsonrpc':'2.0','id':8,'method':'boom'}");
    JsonObject failed = next();
    assertEquals(ResponseErrorException.INTERNAL_ERROR, failed.getAsJsonObject("error").get("code").getAsInt());
    assertTrue(failed.getAsJsonObject("error").get("message").getAsString().contains("it broke"));
  }

  @Test
  void whenThePeerGoesAwayPendingRequestsFailWithWhy() throws Exception {
    rpc.start();
    var future = rpc.request("slow", null);
    next();
    toClient.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    assertInstanceOf(IOException.class, e.getCause());
    assertTrue(e.getCause().getMessage().startsWith("the test peer is gone"), e.getCause().getMessage());
    rpc.closed().get(5, TimeUnit.SECONDS);
    ExecutionException late = assertThrows(ExecutionException.class, () -> rpc.request("late", null).get(1, TimeUnit.SECONDS));
    assertTrue(late.getCause().getMessage().contains("not connected"));
  }

  @Test
  void aFrameWithoutContentLengthEndsTheConnectionClearly() throws Exception {
    rpc.start();
    var future = rpc.request("x", null);
    next();
    toClient.write("Content-Type: text/plain\r\n\r\n{}".getBytes(StandardCharsets.US_ASCII));
    toClient.flush();
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("without a valid Content-Length"), e.getCause().getMessage());
  }

  @Test
  void aNotificationHandlerThatThrowsIsLoggedNotFatal() throws Exception {
    LinkedBlockingQueue<JsonElement> heard = new LinkedBlockingQueue<>();
    rpc.onNotification("bad", p -> {
      throw new IllegalArgumentException("no");
    });
    rpc.onUnhandledNotification((m, p) -> heard.add(new JsonPrimitive(m)));
    rpc.start();
    send("{'jsonrpc':'2.0','method':'bad','params':{}}");
    send("{'jsonrpc':'2.0','method':'window/logMessage','params':{}}");
    assertEquals("window/logMessage", heard.poll(5, TimeUnit.SECONDS).getAsString());
    assertTrue(log.stream().anyMatch(l -> l.startsWith("bad from the test peer was not handled")), log.toString());
    assertNull(sent.poll(200, TimeUnit.MILLISECONDS), "notifications are never answered");
  }

  @Test
  void writesOneFramePerMessageWithTheByteLength() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    JsonRpcConnection c = new JsonRpcConnection(InputStream.nullInputStream(), out, "x");
    JsonObject params = new JsonObject();
    params.addProperty("text", "héllo");
    c.notify("tandem/chat/send", params);
    String written = out.toString(StandardCharsets.UTF_8);
    String body = "{\"jsonrpc\":\"2.0\",\"method\":\"tandem/chat/send\",\"params\":{\"text\":\"héllo\"}}";
    assertEquals("Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body, written);
    c.close();
  }
}
