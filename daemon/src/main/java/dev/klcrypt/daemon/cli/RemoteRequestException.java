package dev.klcrypt.daemon.cli;

import dev.klcrypt.daemon.errno.Errno;

/** klcryptd answered a request with {@code "ok":false}. */
final class RemoteRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Errno errno;

  RemoteRequestException(Errno errno, String message) {
    super(message);
    this.errno = errno;
  }

  Errno errno() {
    return errno;
  }
}
