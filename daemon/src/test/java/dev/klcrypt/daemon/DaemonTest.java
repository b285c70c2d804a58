package dev.klcrypt.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.daemon.control.ControlClient;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The composition root in-process: extension hooks, open/list/close over the real socket, shutdown.
 */
class DaemonTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void extensionsShapeThePlatformAndTheOpenOptions(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("argon.img");
    format(image, KdfSpec.argon2id(32 * 1024, 4, 1), dir.resolve("fmt"));
    Path state = dir.resolve("custom-state");
    List<String> calls = new java.util.ArrayList<>();
    DaemonExtension ceiling =
        new DaemonExtension() {
          @Override
          public PlatformConfig platformConfig(PlatformConfig proposed, Optional<Path> configFile) {
            calls.add("platform");
            return new PlatformConfig(
                proposed.features(), state, proposed.keySource(), proposed.noBackup());
          }

          @Override
          public OpenOptions openOptions(OpenOptions proposed, Optional<Path> configFile) {
            calls.add("open");
            return proposed.withKdfMemoryCeilingKiB(16 * 1024); // below the keyslot's 32 MiB
          }

          @Override
          public void started(DaemonContext context) {
            calls.add("started");
            assertThat(Files.exists(context.volumesMountPoint())).isTrue();
          }
        };
    Daemon daemon = Daemon.start(dir.resolve("run"), Optional.empty(), List.of(ceiling));
    try {
      assertThat(calls).containsExactly("platform", "open", "started");
      ObjectNode reply = call(dir, open(image, "a"), "argon".getBytes(StandardCharsets.UTF_8));
      assertThat(reply.path("ok").asBoolean()).isFalse();
      assertThat(reply.path("errno").asInt()).isEqualTo(12); // ENOMEM: KDF memory above the ceiling
      assertThat(daemon.context().volumes().list()).isEmpty();
    } finally {
      daemon.close();
    }
    assertThat(Files.exists(dir.resolve("run/control.sock"))).isFalse();
  }

  @Test
  void opensListsWritesAndClosesOverTheSocket(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("p.img");
    format(image, KdfSpec.pbkdf2(1000), dir.resolve("fmt"));
    Daemon daemon = Daemon.start(dir.resolve("run"), Optional.empty(), List.of());
    try {
      ObjectNode opened = call(dir, open(image, "p"), "argon".getBytes(StandardCharsets.UTF_8));
      assertThat(opened.path("ok").asBoolean()).as(opened.toString()).isTrue();
      Path file = Path.of(opened.path("path").asText());
      assertThat(file).isEqualTo(dir.resolve("run/volumes/p"));
      assertThat(Files.size(file)).isEqualTo(opened.path("sizeBytes").asLong());
      byte[] data = "written through FUSE".getBytes(StandardCharsets.UTF_8);
      try (FileChannel ch =
          FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(data), 777);
        ch.force(true);
      }
      ObjectNode list = call(dir, json.createObjectNode().put("op", "list"), null);
      assertThat(list.path("volumes").get(0).path("name").asText()).isEqualTo("p");
      ObjectNode taken = call(dir, open(image, "q"), "argon".getBytes(StandardCharsets.UTF_8));
      assertThat(taken.path("errno").asInt()).isEqualTo(16); // EBUSY: image already open
      ObjectNode wrong = call(dir, open(image, "p"), "nope".getBytes(StandardCharsets.UTF_8));
      assertThat(wrong.path("errno").asInt()).isEqualTo(17); // EEXIST is checked before the KDF
      ObjectNode closed =
          call(dir, json.createObjectNode().put("op", "close").put("name", "p"), null);
      assertThat(closed.path("ok").asBoolean()).as(closed.toString()).isTrue();
      assertThat(Files.exists(file)).isFalse();
      ObjectNode badPass = call(dir, open(image, "p"), "nope".getBytes(StandardCharsets.UTF_8));
      assertThat(badPass.path("errno").asInt()).isEqualTo(1); // EPERM: wrong passphrase
      ObjectNode reopened = call(dir, open(image, "p"), "argon".getBytes(StandardCharsets.UTF_8));
      assertThat(reopened.path("ok").asBoolean()).isTrue();
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        ByteBuffer back = ByteBuffer.allocate(data.length);
        ch.read(back, 777);
        assertThat(back.array()).isEqualTo(data);
      }
    } finally {
      daemon.close(); // closes the still-open volume
    }
    assertThat(Files.exists(dir.resolve("run/volumes/p"))).isFalse();
  }

  private ObjectNode open(Path image, String name) {
    return json.createObjectNode()
        .put("op", "open")
        .put("image", image.toString())
        .put("name", name);
  }

  private ObjectNode call(Path dir, ObjectNode request, byte[] passphrase) throws Exception {
    try (ControlClient client = ControlClient.connect(dir.resolve("run/control.sock"), json)) {
      return client.call(request, passphrase);
    }
  }

  private static void format(Path image, KdfSpec kdf, Path stateDir) throws Exception {
    try (FileChannel ch =
        FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[1]), 24L * 1024 * 1024 - 1);
    }
    try (EmulatedPlatform platform = EmulatedPlatform.boot(PlatformConfig.defaults(stateDir));
        Passphrase p = Passphrase.fromBytes("argon".getBytes(StandardCharsets.UTF_8))) {
      LuksImage.format(image, FormatSpec.defaults().withKdf(kdf), p, platform.cpu());
    }
  }
}
