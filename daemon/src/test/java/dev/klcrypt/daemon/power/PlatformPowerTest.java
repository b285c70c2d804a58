package dev.klcrypt.daemon.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import dev.klcrypt.daemon.volumes.IoGate;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.daemon.volumes.OpenVolumes;
import dev.klcrypt.keylocker.backup.BackupRefusedException;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import dev.klcrypt.keylocker.cpu.PlatformFault;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Suspend, resume and reboot with a real emulated platform and real LUKS volumes (no FUSE). */
class PlatformPowerTest {
  private static final long IMAGE_BYTES = 24L * 1024 * 1024;

  @TempDir Path dir;
  private EmulatedPlatform platform;
  private OpenVolumes volumes;
  private final List<BackupRefusedException.Reason> refused = new ArrayList<>();
  private PlatformPower power;

  @BeforeEach
  void boot() {
    platform = EmulatedPlatform.boot(PlatformConfig.defaults(dir.resolve("state")));
    volumes = new OpenVolumes(Clock.systemUTC());
    power = new PlatformPower(platform, volumes, name -> Optional.empty(), refused::add);
  }

  @AfterEach
  void powerOff() {
    volumes.closeAll();
    platform.close();
  }

  private Path keyFile(String name) throws Exception {
    return Files.writeString(dir.resolve(name + ".key"), name + "-pass");
  }

  private OpenVolume open(String name) throws Exception {
    Path image = dir.resolve(name + ".img");
    try (FileChannel ch =
        FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[1]), IMAGE_BYTES - 1);
    }
    Path key = keyFile(name);
    try (Passphrase p = Passphrase.fromFile(key)) {
      LuksImage.format(
          image, FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)), p, platform.cpu());
    }
    Volume v;
    try (Passphrase p = Passphrase.fromFile(key)) {
      v = LuksImage.open(image, p, platform.cpu(), OpenOptions.defaults());
    }
    return volumes.add(name, image.toRealPath(), v);
  }

  private static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + seed);
    }
    return b;
  }

  private static void write(OpenVolume v, long offset, byte[] data) {
    v.volume().write(offset, MemorySegment.ofArray(data));
  }

  private static byte[] read(OpenVolume v, long offset, int n) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment dst = arena.allocate(n);
      v.volume().read(offset, dst);
      return dst.toArray(ValueLayout.JAVA_BYTE);
    }
  }

  @Test
  void suspendClosesTheGateAndResumeOpensItWithTheSameKeyHandles() throws Exception {
    OpenVolume v = open("a");
    write(v, 4096, pattern(8192, 1));
    assertThat(power.suspend()).isTrue();
    assertThat(volumes.gate().state()).isEqualTo(IoGate.State.CLOSED);
    assertThat(platform.status().suspended()).isTrue();
    Throwable again = catchThrowable(power::suspend);
    assertThat(((RequestRefusedException) again).errno()).isEqualTo(Errno.EBUSY);
    assertThat(power.resume().restored()).isTrue();
    assertThat(volumes.gate().state()).isEqualTo(IoGate.State.OPEN);
    assertThat(read(v, 4096, 8192)).isEqualTo(pattern(8192, 1));
  }

  @Test
  void aRefusedRestoreFailsTheGateReportsTheReasonAndWritesNothing() throws Exception {
    OpenVolume v = open("b");
    write(v, 0, pattern(4096, 2));
    power.suspend();
    byte[] imageBefore = Files.readAllBytes(v.image());
    platform.arm(PlatformFault.RESTORE_REPLAYED);
    Throwable t = catchThrowable(power::resume);
    assertThat(((RequestRefusedException) t).errno()).isEqualTo(Errno.ENODEV);
    assertThat(t).hasMessageContaining("(replayed)");
    assertThat(refused).containsExactly(BackupRefusedException.Reason.REPLAYED);
    assertThat(volumes.gate().state()).isEqualTo(IoGate.State.FAILED);
    assertThat(power.lastFailure())
        .get()
        .extracting(PlatformPower.RestoreFailure::label)
        .isEqualTo("replayed");
    Throwable gated = catchThrowable(() -> volumes.gate().enter("b"));
    assertThat(((RequestRefusedException) gated).errno()).isEqualTo(Errno.ENODEV);
    // even a request that got past the gate cannot encrypt: the CPU is soft-disabled
    assertThat(catchThrowable(() -> write(v, 0, pattern(4096, 3)))).isNotNull();
    assertThat(Files.readAllBytes(v.image())).isEqualTo(imageBefore);
  }

  @Test
  void rebootReopensVolumesWithAKeyFileAndClosesTheOthers() throws Exception {
    OpenVolume keyed = open("keyed");
    keyed.keyFile(dir.resolve("keyed.key"));
    OpenVolume typed = open("typed");
    write(keyed, 0, pattern(4096, 4));
    Volume before = keyed.volume();
    List<String> reopened = power.reboot();
    assertThat(reopened).containsExactly("keyed");
    assertThat(volumes.find("keyed")).containsSame(keyed);
    assertThat(keyed.volume()).isNotSameAs(before);
    assertThat(read(keyed, 0, 4096)).isEqualTo(pattern(4096, 4));
    assertThat(volumes.find("typed")).isEmpty();
    assertThat(power.awaitingKey())
        .containsExactly(new PlatformPower.AwaitingKey("typed", typed.image()));
    assertThat(platform.status().bootNumber()).isEqualTo(2);
    assertThat(volumes.gate().state()).isEqualTo(IoGate.State.OPEN);
  }

  @Test
  void resumeWithoutSuspendIsRefused() {
    Throwable t = catchThrowable(power::resume);
    assertThat(((RequestRefusedException) t).errno()).isEqualTo(Errno.EINVAL);
    assertThat(t).hasMessageContaining("not suspended");
  }
}
