package dev.tandem.core;

import com.google.gson.JsonElement;
import java.util.concurrent.CompletableFuture;

/**
 * How {@link TandemClient} reaches the server: the core's own {@link
 * dev.tandem.core.rpc.JsonRpcConnection} (tests, headless use), or the IDE's LSP connection.
 */
public interface Transport {
  /** Sends a request; the future fails with the server's error when it answers with one. */
  CompletableFuture<JsonElement> request(String method, Object params);

  /** Sends a notification; fire and forget. */
  void notify(String method, Object params);
}
