package dev.klcrypt.daemon.control;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Serves one request type of the control protocol. */
@FunctionalInterface
public interface ControlOperation {
  /**
   * Handles {@code request} and fills {@code reply} with the result fields. Throwing turns into an
   * error reply whose errno comes from {@link dev.klcrypt.daemon.errno.ErrnoMapping}. Runs on a
   * worker thread, never on the event loop, so it may block (a KDF run, a flush).
   */
  void handle(ControlRequest request, ObjectNode reply) throws Exception;
}
