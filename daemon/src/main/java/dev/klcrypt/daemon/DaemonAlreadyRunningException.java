package dev.klcrypt.daemon;

/** Another klcryptd answers on the runtime directory's control socket. */
public final class DaemonAlreadyRunningException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public DaemonAlreadyRunningException(String message) {
    super(message);
  }
}
