package dev.tandem.core.rpc;

import com.google.gson.JsonElement;

/** A JSON-RPC error response: what the peer said went wrong, with its code and data. */
public final class ResponseErrorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final int PARSE_ERROR = -32700;
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;

  private final int code;
  private final transient JsonElement data;

  public ResponseErrorException(int code, String message, JsonElement data) {
    super(message);
    this.code = code;
    this.data = data;
  }

  public int code() {
    return code;
  }

  /** The error's {@code data}, or null. */
  public JsonElement data() {
    return data;
  }
}
