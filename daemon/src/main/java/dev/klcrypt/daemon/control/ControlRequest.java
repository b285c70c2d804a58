package dev.klcrypt.daemon.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import java.util.Arrays;

/**
 * One parsed control request: its {@code op}, the other fields, and the decoded {@code passphrase}
 * field (kept as bytes, never as a String, and wiped by {@link #close()}).
 */
public final class ControlRequest implements AutoCloseable {
  private final String op;
  private final ObjectNode fields;
  private byte[] passphrase;

  ControlRequest(String op, ObjectNode fields, byte[] passphrase) {
    this.op = op;
    this.fields = fields;
    this.passphrase = passphrase;
  }

  public String op() {
    return op;
  }

  public ObjectNode fields() {
    return fields;
  }

  /** A required string field. */
  public String text(String field) {
    JsonNode n = fields.get(field);
    if (n == null || !n.isTextual() || n.asText().isEmpty()) {
      throw new RequestRefusedException(
          Errno.EINVAL, "field '" + field + "' must be a non-empty string");
    }
    return n.asText();
  }

  /** An optional string field, null when absent. */
  public String optionalText(String field) {
    JsonNode n = fields.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new RequestRefusedException(Errno.EINVAL, "field '" + field + "' must be a string");
    }
    return n.asText();
  }

  /** An optional boolean field. */
  public boolean flag(String field) {
    JsonNode n = fields.get(field);
    if (n == null || n.isNull()) {
      return false;
    }
    if (!n.isBoolean()) {
      throw new RequestRefusedException(
          Errno.EINVAL, "field '" + field + "' must be true or false");
    }
    return n.booleanValue();
  }

  /**
   * Hands over the passphrase bytes: the caller owns (and wipes) the returned array; null if the
   * request had none.
   */
  public byte[] takePassphrase() {
    byte[] p = passphrase;
    passphrase = null;
    return p;
  }

  @Override
  public void close() {
    if (passphrase != null) {
      Arrays.fill(passphrase, (byte) 0);
      passphrase = null;
    }
  }

  @Override
  public String toString() {
    return "ControlRequest[op=" + op + "]";
  }
}
