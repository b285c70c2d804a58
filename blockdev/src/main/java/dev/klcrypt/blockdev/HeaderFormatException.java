package dev.klcrypt.blockdev;

/**
 * A LUKS header is damaged, truncated or inconsistent: names the byte offset and field that failed.
 */
public final class HeaderFormatException extends LuksException {
  private static final long serialVersionUID = 1L;
  private final long offset;
  private final String field;
  private final String reason;

  public HeaderFormatException(long offset, String field, String reason) {
    this(offset, field, reason, null);
  }

  public HeaderFormatException(long offset, String field, String reason, Throwable cause) {
    super("LUKS header at offset " + offset + ", field " + field + ": " + reason, cause);
    this.offset = offset;
    this.field = field;
    this.reason = reason;
  }

  public long offset() {
    return offset;
  }

  public String field() {
    return field;
  }

  public String reason() {
    return reason;
  }
}
