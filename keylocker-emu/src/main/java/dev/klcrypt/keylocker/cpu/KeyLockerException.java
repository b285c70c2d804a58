package dev.klcrypt.keylocker.cpu;

/**
 * Why an emulated Key Locker operation produced no result. Messages name the instruction and the
 * reason, never key or handle bytes.
 */
public abstract sealed class KeyLockerException extends RuntimeException
    permits HandleRejectedException, KeyLockerUnavailableException, KeyLockerFaultException {
  private static final long serialVersionUID = 1L;

  KeyLockerException(String message) {
    super(message);
  }
}
