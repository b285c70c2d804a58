package dev.klcrypt.keylocker.cpu;

/**
 * The instruction set ZF=1 and wrote no output: the handle is illegal (reserved bits, CPL,
 * restriction, key type) or did not authenticate under the current IWKey (tampered, or made under
 * another IWKey).
 */
public final class HandleRejectedException extends KeyLockerException {
  private static final long serialVersionUID = 1L;

  /** The spec's check order: reserved bits, CPL, restriction, key type, then authentication. */
  public enum Reason {
    RESERVED_BITS,
    CPL,
    NO_ENCRYPT,
    NO_DECRYPT,
    KEY_TYPE,
    AUTHENTICATION
  }

  private final Instruction instruction;
  private final Reason reason;

  HandleRejectedException(Instruction instruction, Reason reason) {
    super(instruction + " set ZF=1: " + describe(reason));
    this.instruction = instruction;
    this.reason = reason;
  }

  private static String describe(Reason r) {
    return switch (r) {
      case RESERVED_BITS -> "handle has reserved AAD bits set";
      case CPL -> "handle is CPL0-only and the caller runs at CPL>0";
      case NO_ENCRYPT -> "handle forbids encryption";
      case NO_DECRYPT -> "handle forbids decryption";
      case KEY_TYPE -> "handle key type does not match the instruction";
      case AUTHENTICATION ->
          "handle failed authentication (tampered, or wrapped under another IWKey)";
    };
  }

  public Instruction instruction() {
    return instruction;
  }

  public Reason reason() {
    return reason;
  }
}
