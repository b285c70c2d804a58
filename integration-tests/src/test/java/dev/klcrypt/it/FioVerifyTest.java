package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * fio writes with crc32c checksums, then reads everything back and verifies: over a loop device and
 * the volume file.
 */
class FioVerifyTest {
  private static final long GIB = 1024L * 1024 * 1024;

  private static Workspace ws;
  private static DaemonProcess daemon;

  @BeforeAll
  static void startDaemon() throws Exception {
    ws = Workspace.create("fio");
    daemon = DaemonProcess.start(ws.resolve("run"));
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    try {
      if (daemon != null) {
        assertThat(daemon.terminate()).as("exit code after SIGTERM%n%s", daemon.log()).isZero();
      }
    } finally {
      ws.close();
    }
  }

  @Test
  void randwriteThenVerifyOverLoopDeviceWritesAGibibyte() throws Exception {
    Path image = ws.resolve("loop.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, GIB + 64L * 1024 * 1024, "fio-loop");
    String loop = daemon.openWithLoop(image, "fioloop", ws.resolve("loop.img.key"));
    JsonNode job =
        fio(
            loop,
            "--rw=randwrite",
            "--bs=64k",
            "--size=1G",
            "--direct=1",
            "--ioengine=libaio",
            "--iodepth=16");
    assertThat(job.path("error").asInt()).isZero();
    assertThat(job.path("write").path("io_bytes").asLong()).isGreaterThanOrEqualTo(GIB);
    // verification read back everything fio wrote
    assertThat(job.path("read").path("io_bytes").asLong()).isGreaterThanOrEqualTo(GIB);
    daemon.klcrypt("close", "fioloop").ok();
  }

  @Test
  void randwriteThenVerifyOverTheVolumeFileIncludingUnalignedBlocks() throws Exception {
    Path image = ws.resolve("file.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 320L * 1024 * 1024, "fio-file");
    daemon
        .klcrypt(
            "open",
            "--key-file",
            ws.resolve("file.img.key").toString(),
            image.toString(),
            "fiofile")
        .ok();
    String volume = daemon.volumeFile("fiofile").toString();
    JsonNode aligned =
        fio(volume, "--rw=randwrite", "--bs=16k", "--size=256M", "--direct=1", "--ioengine=psync");
    assertThat(aligned.path("error").asInt()).isZero();
    assertThat(aligned.path("write").path("io_bytes").asLong()).isEqualTo(256L * 1024 * 1024);
    // 3584-byte blocks straddle 4096-byte sectors: every write is a read-modify-write in the volume
    JsonNode unaligned =
        fio(
            volume,
            "--rw=randwrite",
            "--bs=3584",
            "--size=28M",
            "--offset=200M",
            "--direct=0",
            "--ioengine=psync");
    assertThat(unaligned.path("error").asInt()).isZero();
    assertThat(unaligned.path("write").path("io_bytes").asLong()).isEqualTo(28L * 1024 * 1024);
    daemon.klcrypt("close", "fiofile").ok();
  }

  /** Runs one fio job with crc32c verification and returns its JSON job report. */
  static JsonNode fio(String target, String... options) throws Exception {
    List<String> argv = new ArrayList<>();
    argv.add("fio");
    argv.add("--name=verify");
    argv.add("--filename=" + target);
    argv.add("--verify=crc32c");
    argv.add("--do_verify=1");
    argv.add("--verify_fatal=1");
    argv.add("--randrepeat=0");
    argv.add("--verify_state_save=0"); // no local-*-verify.state files in the working directory
    argv.add("--output-format=json");
    argv.addAll(List.of(options));
    Cmd.Result r = Cmd.run(argv, null, 900);
    r.ok();
    String out = r.out();
    JsonNode report = new ObjectMapper().readTree(out.substring(out.indexOf('{')));
    return report.path("jobs").get(0);
  }
}
