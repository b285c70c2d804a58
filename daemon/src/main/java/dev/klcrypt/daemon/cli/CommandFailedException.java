package dev.klcrypt.daemon.cli;

/** A verb failed for a reason the CLI itself decided; carries the exit code. */
final class CommandFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ExitCode exitCode;

  CommandFailedException(ExitCode exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  ExitCode exitCode() {
    return exitCode;
  }
}
