package dev.klcrypt.keylocker.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.keylocker.backup.BackupRefusedException.Reason;
import dev.klcrypt.keylocker.handle.KeyHandle;
import dev.klcrypt.keylocker.handle.Restrictions;
import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Backup MSRs, the sealed backup file, suspend/resume/reboot and soft-disable. */
class PowerStateTest {
  @TempDir Path state;
  private EmulatedPlatform platform;
  private KeyHandle handle;

  @BeforeEach
  void boot() {
    platform = EmulatedPlatform.boot(PlatformConfig.defaults(state));
    try (ClearKey k = ClearKey.allocate(32)) {
      handle = platform.cpu().encodeKey256(Restrictions.NONE, k);
    }
  }

  @AfterEach
  void off() {
    platform.close();
  }

  private byte[] encryptZeros() {
    byte[] b = new byte[16];
    platform.cpu().aesenc256kl(b, handle);
    return b;
  }

  @Test
  void bootBacksUpWithTheSpecStatusValues() throws IOException {
    assertThat(platform.rdmsr(EmulatedPlatform.IA32_COPY_STATUS)).isEqualTo(1);
    assertThat(platform.rdmsr(EmulatedPlatform.IA32_IWKEYBACKUP_STATUS)).isEqualTo(0x9);
    Path file = state.resolve("iwkey.backup");
    assertThat(Files.size(file)).isEqualTo(112);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    try (var s = Files.list(state)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("iwkey.backup");
    }
  }

  @Test
  void suspendResumeRoundTripKeepsHandlesWorking() {
    byte[] before = encryptZeros();
    assertThat(platform.suspend()).isTrue();
    assertThat(platform.status().suspended()).isTrue();
    assertThat(platform.status().iwKeyLoaded()).isFalse();
    // CPU state dropped: the handle does not authenticate under the zero IWKey
    assertThatThrownBy(this::encryptZeros).isInstanceOf(HandleRejectedException.class);
    RestoreOutcome r = platform.resume();
    assertThat(r.restored()).as(r.message()).isTrue();
    assertThat(encryptZeros()).isEqualTo(before);
    assertThat(platform.counters().restoreAttempts()).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "RESTORE_MISSING, MISSING, backup is missing",
    "RESTORE_TRUNCATED, TRUNCATED, backup is truncated",
    "RESTORE_CORRUPT, CORRUPTED, seal does not authenticate",
    "RESTORE_EARLIER_BOOT, EARLIER_BOOT, from an earlier boot",
    "RESTORE_REPLAYED, REPLAYED, replayed older copy",
    "RESTORE_FOREIGN, FOREIGN, sealed by another platform",
    "RESTORE_UNSEALABLE, UNSEALABLE, cannot be unsealed",
    "RESTORE_FORCED, FORCED, forced by fault injection",
  })
  void eachBadBackupIsRefusedWithItsReason(PlatformFault fault, Reason reason, String text) {
    platform.suspend();
    platform.arm(fault);
    RestoreOutcome r = platform.resume();
    assertThat(r.restored()).isFalse();
    assertThat(r.reason()).isEqualTo(reason);
    assertThat(r.message()).contains(text);
    assertSoftDisabled(text);
  }

  private void assertSoftDisabled(String text) {
    PlatformStatus s = platform.status();
    assertThat(s.softDisabled()).isTrue();
    assertThat(s.disabledReason()).contains(text);
    assertThat(platform.cpu().usable()).isFalse();
    assertThatThrownBy(this::encryptZeros)
        .isInstanceOf(KeyLockerUnavailableException.class)
        .hasMessageContaining("soft-disabled");
    try (ClearKey k = ClearKey.allocate(64)) {
      assertThatThrownBy(() -> XtsSectorCipher.create(platform.cpu(), k, 512))
          .isInstanceOf(KeyLockerUnavailableException.class);
    }
    assertThatThrownBy(() -> platform.cpu().aesencwide256kl(new byte[128], handle))
        .isInstanceOf(KeyLockerUnavailableException.class);
  }

  @Test
  void realFileDamageIsDetectedWithoutFaultInjection() throws IOException {
    Path file = state.resolve("iwkey.backup");
    platform.suspend();
    byte[] raw = Files.readAllBytes(file);
    raw[70] ^= 0x40;
    Files.write(file, raw);
    RestoreOutcome r = platform.resume();
    assertThat(r.reason()).isEqualTo(Reason.CORRUPTED);
  }

  @Test
  void backupFromAnEarlierBootIsRefused() throws IOException {
    Path file = state.resolve("iwkey.backup");
    Path old = state.resolve("old-copy");
    Files.copy(file, old);
    platform.reboot();
    platform.suspend();
    Files.copy(old, file, StandardCopyOption.REPLACE_EXISTING);
    assertThat(platform.resume().reason()).isEqualTo(Reason.EARLIER_BOOT);
  }

  @Test
  void backupFromAnotherPlatformIsForeign(@TempDir Path otherState) throws IOException {
    try (EmulatedPlatform other = EmulatedPlatform.boot(PlatformConfig.defaults(otherState))) {
      platform.suspend();
      Files.copy(
          other.config().backupFile(),
          state.resolve("iwkey.backup"),
          StandardCopyOption.REPLACE_EXISTING);
      assertThat(platform.resume().reason()).isEqualTo(Reason.FOREIGN);
    }
  }

  @Test
  void rebootClearsSoftDisableAndRevokesOldHandles() {
    platform.suspend();
    platform.arm(PlatformFault.RESTORE_FORCED);
    assertThat(platform.resume().restored()).isFalse();
    platform.reboot();
    assertThat(platform.status().softDisabled()).isFalse();
    assertThat(platform.status().bootNumber()).isEqualTo(2);
    assertThatThrownBy(this::encryptZeros)
        .isInstanceOfSatisfying(
            HandleRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(HandleRejectedException.Reason.AUTHENTICATION));
  }

  @Test
  void backupWriteFailureSetsTheStorageErrorBitAndResumeFails() {
    platform.arm(PlatformFault.BACKUP_WRITE_FAILURE);
    assertThat(platform.suspend()).isFalse();
    assertThat(platform.rdmsr(EmulatedPlatform.IA32_IWKEYBACKUP_STATUS)).isEqualTo(0x4);
    RestoreOutcome r = platform.resume();
    assertThat(r.reason()).isEqualTo(Reason.NO_VALID_BACKUP);
    assertThat(r.message()).contains("storage read/write error");
  }

  @Test
  void noBackupIwKeyCannotBePreserved(@TempDir Path other) {
    try (EmulatedPlatform p =
        EmulatedPlatform.boot(PlatformConfig.defaults(other).withNoBackup(true))) {
      assertThat(p.status().noBackup()).isTrue();
      assertThat(p.suspend()).isFalse();
      assertThat(p.rdmsr(EmulatedPlatform.IA32_COPY_STATUS)).isZero();
      RestoreOutcome r = p.resume();
      assertThat(r.reason()).isEqualTo(Reason.NO_VALID_BACKUP);
      assertThat(p.status().softDisabled()).isTrue();
    }
  }

  @Test
  void invalidMsrWritesRaiseGp() {
    assertThatThrownBy(() -> platform.wrmsr(EmulatedPlatform.IA32_COPY_LOCAL_TO_PLATFORM, 2))
        .isInstanceOf(KeyLockerFaultException.class);
    assertThatThrownBy(() -> platform.wrmsr(0x123, 1)).isInstanceOf(KeyLockerFaultException.class);
  }

  @Test
  void xtsCipherSurvivesSuspendResume() {
    XtsSectorCipher c;
    try (ClearKey k = ClearKey.allocate(64)) {
      k.segment().fill((byte) 7);
      c = XtsSectorCipher.create(platform.cpu(), k, 4096);
    }
    byte[] p = new byte[4096];
    byte[] c1 = new byte[4096];
    byte[] c2 = new byte[4096];
    c.encrypt(8, MemorySegment.ofArray(p), MemorySegment.ofArray(c1));
    platform.suspend();
    assertThat(platform.resume().restored()).isTrue();
    c.encrypt(8, MemorySegment.ofArray(p), MemorySegment.ofArray(c2));
    assertThat(c2).isEqualTo(c1);
  }
}
