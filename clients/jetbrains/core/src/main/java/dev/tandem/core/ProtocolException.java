package dev.tandem.core;

/**
 * A payload that does not match protocol v1: a missing field, a wrong type, malformed JSON. The
 * message names the method and the field, so a log line says what the peer got wrong.
 */
public final class ProtocolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ProtocolException(String message) {
    super(message);
  }

  public ProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
