package dev.klcrypt.daemon.errno;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.klcrypt.blockdev.BackingStoreIoException;
import dev.klcrypt.blockdev.DiscardNotAllowedException;
import dev.klcrypt.blockdev.HeaderFormatException;
import dev.klcrypt.blockdev.KdfMemoryLimitException;
import dev.klcrypt.blockdev.ReadOnlyVolumeException;
import dev.klcrypt.blockdev.UnsupportedFormatException;
import dev.klcrypt.blockdev.VolumeClosedException;
import dev.klcrypt.blockdev.VolumeRangeException;
import dev.klcrypt.blockdev.WrongPassphraseException;
import dev.klcrypt.blockdev.fault.FaultyBackingStore;
import dev.klcrypt.blockdev.fault.ScenarioParser;
import dev.klcrypt.blockdev.store.FileBackingStore;
import dev.klcrypt.keylocker.cpu.KeyLockerUnavailableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ErrnoMappingTest {
  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of(
            new KeyLockerUnavailableException("soft-disabled after failed restore"), Errno.ENODEV),
        Arguments.of(new VolumeClosedException("read"), Errno.ENODEV),
        Arguments.of(
            new BackingStoreIoException("pread at 4096", new IOException("EIO")), Errno.EIO),
        Arguments.of(new VolumeRangeException(1L << 30, 4096, 1L << 20), Errno.EINVAL),
        Arguments.of(new DiscardNotAllowedException(), Errno.EOPNOTSUPP),
        Arguments.of(new ReadOnlyVolumeException("write"), Errno.EROFS),
        Arguments.of(
            new WrongPassphraseException("No key available with this passphrase."), Errno.EPERM),
        Arguments.of(new HeaderFormatException(0, "magic", "not LUKS"), Errno.EINVAL),
        Arguments.of(new UnsupportedFormatException("cipher serpent"), Errno.EINVAL),
        Arguments.of(new KdfMemoryLimitException("keyslot 0", 1 << 20, 1 << 16), Errno.ENOMEM),
        Arguments.of(new RequestRefusedException(Errno.EBUSY, "in use"), Errno.EBUSY),
        Arguments.of(new NoSuchFileException("/x"), Errno.ENOENT),
        Arguments.of(
            new java.io.UncheckedIOException("cannot read key file", new NoSuchFileException("/k")),
            Errno.ENOENT),
        Arguments.of(new AccessDeniedException("/x"), Errno.EACCES),
        Arguments.of(new IOException("disk on fire"), Errno.EIO),
        Arguments.of(new IllegalArgumentException("bad"), Errno.EINVAL),
        Arguments.of(new StackOverflowError(), Errno.EIO),
        Arguments.of(new NullPointerException(), Errno.EIO));
  }

  @ParameterizedTest
  @MethodSource("failures")
  void mapsEachFailureToItsErrno(Throwable failure, Errno expected) {
    assertThat(ErrnoMapping.of(failure)).isEqualTo(expected);
  }

  @ParameterizedTest
  @MethodSource("failures")
  void errnoNumbersRoundTrip(Throwable failure, Errno expected) {
    assertThat(Errno.fromCode(expected.code())).isEqualTo(expected);
  }

  /** An error injected by the fault harness reports exactly its errno, not the default EIO. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"EIO", "ENXIO", "ENOSPC", "EROFS", "ETIMEDOUT"})
  void anInjectedFaultKeepsItsErrno(String errno, @org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path image = dir.resolve("store.img");
    Files.write(image, new byte[8192]);
    try (FaultyBackingStore store =
        FaultyBackingStore.builder(FileBackingStore.open(image, false)).build()) {
      store.add(ScenarioParser.parseStep("error read errno=" + errno));
      Throwable thrown = catchThrowable(() -> store.read(0, ByteBuffer.allocate(512)));
      assertThat(thrown).isInstanceOf(BackingStoreIoException.class);
      assertThat(ErrnoMapping.of(thrown)).isEqualTo(Errno.valueOf(errno));
    }
  }
}
