package dev.klcrypt.daemon.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.daemon.Daemon;
import dev.klcrypt.daemon.control.ControlClient;
import dev.klcrypt.daemon.errno.Errno;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Sends one request to the running klcryptd and turns an error reply into {@link
 * RemoteRequestException}.
 */
final class DaemonConnection {
  private final Path socket;
  private final ObjectMapper mapper = new ObjectMapper();

  DaemonConnection(Path runtimeDir) {
    this.socket = runtimeDir.resolve(Daemon.CONTROL_SOCKET);
  }

  ObjectNode request(String op) {
    return mapper.createObjectNode().put("op", op);
  }

  /**
   * @param passphrase sent base64-encoded; the caller still wipes it
   */
  ObjectNode call(ObjectNode request, byte[] passphrase) {
    ObjectNode reply;
    try (ControlClient client = ControlClient.connect(socket, mapper)) {
      reply = client.call(request, passphrase);
    } catch (IOException e) {
      throw new CommandFailedException(
          ExitCode.DAEMON_UNREACHABLE,
          "Cannot reach klcryptd on "
              + socket
              + " ("
              + e.getMessage()
              + "). Is the daemon running?");
    }
    if (!reply.path("ok").asBoolean(false)) {
      throw new RemoteRequestException(
          Errno.fromCode(reply.path("errno").asInt(Errno.EIO.code())),
          reply.path("error").asText("failed"));
    }
    return reply;
  }
}
