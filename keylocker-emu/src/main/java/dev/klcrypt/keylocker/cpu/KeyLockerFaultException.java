package dev.klcrypt.keylocker.cpu;

/**
 * The emulated CPU raised #GP(0) or #UD: the instruction is not available or its operands are
 * invalid.
 */
public final class KeyLockerFaultException extends KeyLockerException {
  private static final long serialVersionUID = 1L;

  /** #GP(0) or #UD. */
  public enum Kind {
    GENERAL_PROTECTION,
    INVALID_OPCODE
  }

  private final Kind kind;

  KeyLockerFaultException(Kind kind, String message) {
    super((kind == Kind.GENERAL_PROTECTION ? "#GP(0): " : "#UD: ") + message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
