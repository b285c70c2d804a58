package dev.klcrypt.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real epoll Unix socket with the JDK client the CLI uses. */
class ControlServerTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void servesOverARealSocketWithMode0600AndRemovesItOnClose(@TempDir Path dir) throws Exception {
    ControlDispatcher dispatcher = new ControlDispatcher(json);
    dispatcher.register(
        "ping", (request, reply) -> reply.put("pid", ProcessHandle.current().pid()));
    Path socket = dir.resolve("control.sock");
    try (ControlServer server = ControlServer.bind(socket, dispatcher)) {
      assertThat(server.socket()).isEqualTo(socket);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
          .isEqualTo("rw-------");
      try (var listing = Files.list(dir)) {
        assertThat(listing.map(p -> p.getFileName().toString()).toList())
            .as("no staging directory left")
            .containsExactly("control.sock");
      }
      try (ControlClient client = ControlClient.connect(socket, json)) {
        ObjectNode reply = client.call(json.createObjectNode().put("op", "ping"));
        assertThat(reply.path("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
        String bad = client.callRaw("{{{\n".getBytes(StandardCharsets.UTF_8));
        assertThat(json.readTree(bad).path("errno").asInt()).isEqualTo(22);
        assertThat(client.call(json.createObjectNode().put("op", "ping")).path("ok").asBoolean())
            .isTrue();
      }
    }
    assertThat(Files.exists(socket)).isFalse();
  }

  @Test
  void slowRequestsDoNotBlockOtherConnections(@TempDir Path dir) throws Exception {
    ControlDispatcher dispatcher = new ControlDispatcher(json);
    CountDownLatch release = new CountDownLatch(1);
    dispatcher.register(
        "slow", (request, reply) -> reply.put("released", release.await(10, TimeUnit.SECONDS)));
    dispatcher.register("fast", (request, reply) -> reply.put("fast", true));
    Path socket = dir.resolve("control.sock");
    try (ControlServer server = ControlServer.bind(socket, dispatcher);
        ControlClient slow = ControlClient.connect(server.socket(), json);
        ControlClient fast = ControlClient.connect(socket, json)) {
      Thread caller =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      slow.call(json.createObjectNode().put("op", "slow"));
                    } catch (java.io.IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  });
      // a KDF-long request on one connection: the other connection is still served
      assertThat(fast.call(json.createObjectNode().put("op", "fast")).path("fast").asBoolean())
          .isTrue();
      release.countDown();
      caller.join(10_000);
      assertThat(caller.isAlive()).isFalse();
    }
  }

  @Test
  void aRequestOverTheTimeoutGetsEtimedoutAndTheConnectionGoesOn(@TempDir Path dir)
      throws Exception {
    ControlDispatcher dispatcher = new ControlDispatcher(json);
    dispatcher.limits(ControlServer.MAX_REQUEST_BYTES, 200);
    dispatcher.register("stuck", (request, reply) -> Thread.sleep(3_000));
    dispatcher.register("fast", (request, reply) -> reply.put("fast", true));
    try (ControlServer server = ControlServer.bind(dir.resolve("control.sock"), dispatcher);
        ControlClient client = ControlClient.connect(server.socket(), json)) {
      long start = System.nanoTime();
      ObjectNode stuck = client.call(json.createObjectNode().put("op", "stuck"));
      assertThat(stuck.path("errno").asInt()).isEqualTo(110);
      assertThat(System.nanoTime() - start).isLessThan(2_500_000_000L);
      assertThat(client.call(json.createObjectNode().put("op", "fast")).path("fast").asBoolean())
          .isTrue();
    }
  }
}
