package dev.klcrypt.keylocker.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.keylocker.handle.Restrictions;
import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each CPUID feature switched off behaves as documented, and callers cope. */
class FeatureSwitchTest {
  @TempDir Path state;

  private EmulatedPlatform boot(CpuFeatures f) {
    return EmulatedPlatform.boot(PlatformConfig.defaults(state).withFeatures(f));
  }

  @Test
  void cpuidReportsTheSwitches() {
    try (EmulatedPlatform p = boot(CpuFeatures.all())) {
      CpuidLeaf19 id = p.cpu().cpuid();
      assertThat(id.eax()).isEqualTo(7);
      assertThat(id.ebx()).isEqualTo(0x15);
      assertThat(id.ecx()).isEqualTo(3);
    }
    try (EmulatedPlatform p = boot(CpuFeatures.all().withWide(false).withBackup(false))) {
      CpuidLeaf19 id = p.cpu().cpuid();
      assertThat(id.aeskle()).isTrue();
      assertThat(id.wideKl()).isFalse();
      assertThat(id.backupMsrs()).isFalse();
    }
  }

  @Test
  void keyLockerAbsent() {
    try (EmulatedPlatform p = boot(CpuFeatures.all().withKeyLocker(false));
        ClearKey k = ClearKey.allocate(32)) {
      assertThat(p.cpu().cpuid().keyLocker()).isFalse();
      assertThat(p.status().warnings()).anyMatch(w -> w.contains("Key Locker absent"));
      assertThatThrownBy(() -> p.cpu().encodeKey256(Restrictions.NONE, k))
          .isInstanceOfSatisfying(
              KeyLockerFaultException.class,
              e -> assertThat(e.kind()).isEqualTo(KeyLockerFaultException.Kind.INVALID_OPCODE));
      try (ClearKey xk = ClearKey.allocate(64)) {
        assertThatThrownBy(() -> XtsSectorCipher.create(p.cpu(), xk, 512))
            .isInstanceOf(KeyLockerUnavailableException.class)
            .hasMessageContaining("no Key Locker");
      }
    }
  }

  @Test
  void noWideFallsBackToSingleBlockInstructions() {
    try (EmulatedPlatform p = boot(CpuFeatures.all().withWide(false));
        ClearKey k = ClearKey.allocate(64)) {
      XtsSectorCipher c = XtsSectorCipher.create(p.cpu(), k, 4096);
      byte[] data = new byte[4096];
      c.encrypt(0, MemorySegment.ofArray(data), MemorySegment.ofArray(data));
      var n = p.counters();
      assertThat(n.count(Instruction.AESENCWIDE256KL)).isZero();
      assertThat(n.count(Instruction.AESENC256KL)).isEqualTo(1 + 256);
      try (ClearKey k2 = ClearKey.allocate(32)) {
        var h = p.cpu().encodeKey256(Restrictions.NONE, k2);
        assertThatThrownBy(() -> p.cpu().aesencwide256kl(new byte[128], h))
            .isInstanceOf(KeyLockerFaultException.class)
            .hasMessageContaining("WIDE_KL");
      }
    }
  }

  @Test
  void wideXtsCountsFollowTheKernelSequence() {
    try (EmulatedPlatform p = boot(CpuFeatures.all());
        ClearKey k = ClearKey.allocate(64)) {
      XtsSectorCipher c = XtsSectorCipher.create(p.cpu(), k, 4096);
      byte[] data = new byte[2 * 4096];
      c.encrypt(0, MemorySegment.ofArray(data), MemorySegment.ofArray(data));
      c.decrypt(0, MemorySegment.ofArray(data), MemorySegment.ofArray(data));
      var n = p.counters();
      assertThat(n.count(Instruction.ENCODEKEY256)).isEqualTo(2);
      assertThat(n.count(Instruction.AESENC256KL)).isEqualTo(4); // T0 per sector, both directions
      assertThat(n.count(Instruction.AESENCWIDE256KL)).isEqualTo(64);
      assertThat(n.count(Instruction.AESDECWIDE256KL)).isEqualTo(64);
      assertThat(n.loadIwKeyBySource().get(KeySource.SOFTWARE)).isEqualTo(1);
      assertThat(n.emulatedCycles()).isEqualTo(130 + InstructionCounters.PLATFORM_COPY_CYCLES);
    }
  }

  @Test
  void noBackupMsrs() {
    try (EmulatedPlatform p = boot(CpuFeatures.all().withBackup(false))) {
      assertThatThrownBy(() -> p.rdmsr(EmulatedPlatform.IA32_IWKEYBACKUP_STATUS))
          .isInstanceOf(KeyLockerFaultException.class);
      assertThat(p.suspend()).isFalse();
      RestoreOutcome r = p.resume();
      assertThat(r.restored()).isFalse();
      assertThat(r.message()).contains("no backup MSRs");
    }
  }

  @Test
  void noRandomKeySourceFallsBackWithAWarningAndLoadIwKeyRaisesGp() {
    PlatformConfig cfg =
        PlatformConfig.defaults(state)
            .withFeatures(CpuFeatures.all().withRandomKeySource(false))
            .withKeySource(KeySource.HARDWARE_RANDOM);
    try (EmulatedPlatform p = EmulatedPlatform.boot(cfg);
        ClearKey i = ClearKey.allocate(16);
        ClearKey e = ClearKey.allocate(32)) {
      assertThat(p.status().keySource()).isEqualTo(KeySource.SOFTWARE);
      assertThat(p.status().warnings()).anyMatch(w -> w.contains("KeySource 1"));
      assertThatThrownBy(() -> p.loadIwKey(i, e, KeySource.HARDWARE_RANDOM, false))
          .isInstanceOf(KeyLockerFaultException.class);
    }
  }

  @Test
  void hardwareRandomKeySourceAndEntropyFailure() {
    PlatformConfig cfg = PlatformConfig.defaults(state).withKeySource(KeySource.HARDWARE_RANDOM);
    try (EmulatedPlatform p = EmulatedPlatform.boot(cfg);
        ClearKey i = ClearKey.allocate(16);
        ClearKey e = ClearKey.allocate(32);
        ClearKey k = ClearKey.allocate(32)) {
      assertThat(p.status().keySource()).isEqualTo(KeySource.HARDWARE_RANDOM);
      assertThat(p.counters().emulatedCycles()).isGreaterThanOrEqualTo(25_000);
      var h = p.cpu().encodeKey256(Restrictions.NONE, k);
      p.arm(PlatformFault.ENTROPY_FAILURE);
      assertThat(p.loadIwKey(i, e, KeySource.HARDWARE_RANDOM, false)).isFalse();
      p.cpu().aesenc256kl(new byte[16], h); // the old IWKey stayed
      // the same all-zero registers with KeySource 1 give a different IWKey than software would
      assertThat(p.loadIwKey(i, e, KeySource.HARDWARE_RANDOM, false)).isTrue();
      assertThatThrownBy(() -> p.cpu().aesenc256kl(new byte[16], h))
          .isInstanceOf(HandleRejectedException.class);
    }
  }

  @Test
  void featureSwitchesTakeEffectAtTheNextBootOnly() {
    try (EmulatedPlatform p = boot(CpuFeatures.all())) {
      p.configureNextBoot(p.config().withFeatures(CpuFeatures.all().withBackup(false)));
      assertThat(p.cpu().cpuid().backupMsrs()).as("not before the reboot").isTrue();
      p.reboot();
      assertThat(p.cpu().cpuid().backupMsrs()).isFalse();
      assertThat(p.suspend()).isFalse();
      assertThat(p.resume().message()).contains("no backup MSRs");
      assertThat(p.status().softDisabled()).isTrue();

      p.configureNextBoot(p.config().withFeatures(CpuFeatures.all()).withNoBackup(true));
      p.reboot();
      assertThat(p.status().noBackup()).isTrue();
      assertThat(p.suspend()).isFalse();
      assertThat(p.resume().restored()).isFalse();

      p.clearFaults(); // back to the first boot's configuration at the next reboot
      p.reboot();
      assertThat(p.status().noBackup()).isFalse();
      assertThat(p.suspend()).isTrue();
      assertThat(p.resume().restored()).isTrue();
    }
  }
}
