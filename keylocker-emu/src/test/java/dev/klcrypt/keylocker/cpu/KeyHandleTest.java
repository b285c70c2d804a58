package dev.klcrypt.keylocker.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.keylocker.handle.HandleBytesAccess;
import dev.klcrypt.keylocker.handle.KeyHandle;
import dev.klcrypt.keylocker.handle.Restrictions;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyHandleTest {
  private static final byte[] KEY256 =
      HexFormat.of().parseHex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  private static final byte[] KEY128 = HexFormat.of().parseHex("2b7e151628aed2a6abf7158809cf4f3c");

  @TempDir Path state;
  private EmulatedPlatform platform;
  private KeyLockerCpu cpu;

  @BeforeEach
  void boot() {
    platform = EmulatedPlatform.boot(PlatformConfig.defaults(state));
    cpu = platform.cpu();
  }

  @AfterEach
  void off() {
    platform.close();
  }

  private KeyHandle encode256(Restrictions r) {
    try (ClearKey k = ClearKey.copyOf(KEY256, 0, 32)) {
      return cpu.encodeKey256(r, k);
    }
  }

  @Test
  void handleLayoutFollowsTheSpec() {
    KeyHandle h256 = encode256(Restrictions.NONE);
    KeyHandle h128;
    try (ClearKey k = ClearKey.copyOf(KEY128, 0, 16)) {
      h128 = cpu.encodeKey128(Restrictions.fromBits(0b101), k);
    }
    byte[] b256 = h256.bytes(HandleBytesAccess.get());
    byte[] b128 = h128.bytes(HandleBytesAccess.get());
    assertThat(b256).hasSize(64);
    assertThat(b128).hasSize(48);
    assertThat(h256.aadLow32()).isEqualTo(1 << 24); // KeyType 1 = AES-256
    assertThat(h128.aadLow32()).isEqualTo(0b101); // KeyType 0, CPL0-only + no-decrypt
    // deterministic wrapping, like the hardware (same handle for the same key on every CPU)
    assertThat(encode256(Restrictions.NONE).sameHandle(h256)).isTrue();
    // no clear key inside the handle
    assertThat(HexFormat.of().formatHex(b256))
        .doesNotContain(HexFormat.of().formatHex(KEY256, 0, 8));
  }

  @Test
  void everySingleBitFlipIsRejected() {
    KeyHandle good = encode256(Restrictions.NONE);
    byte[] raw = good.bytes(HandleBytesAccess.get());
    byte[] block = new byte[16];
    cpu.aesenc256kl(block, good);
    for (int bit = 0; bit < raw.length * 8; bit++) {
      byte[] t = raw.clone();
      t[bit / 8] ^= (byte) (1 << (bit % 8));
      KeyHandle bad = KeyHandle.fromBytes(t);
      byte[] data = new byte[16];
      int b = bit;
      assertThatThrownBy(() -> cpu.aesenc256kl(data, bad))
          .as("bit %d", b)
          .isInstanceOf(HandleRejectedException.class);
      assertThat(data).as("no output on ZF=1 (bit %d)", bit).containsOnly(0);
    }
  }

  @Test
  void tamperedWrappedKeyFailsAuthentication() {
    byte[] raw = encode256(Restrictions.NONE).bytes(HandleBytesAccess.get());
    raw[40] ^= 1;
    assertThatThrownBy(() -> cpu.aesenc256kl(new byte[16], KeyHandle.fromBytes(raw)))
        .isInstanceOfSatisfying(
            HandleRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(HandleRejectedException.Reason.AUTHENTICATION));
  }

  @Test
  void restrictionBitsAreEnforced() {
    KeyHandle noEnc = encode256(new Restrictions(false, true, false));
    KeyHandle noDec = encode256(new Restrictions(false, false, true));
    KeyHandle cpl0 = encode256(Restrictions.CPL0_ONLY);
    cpu.aesdec256kl(new byte[16], noEnc);
    assertThatThrownBy(() -> cpu.aesenc256kl(new byte[16], noEnc))
        .hasMessageContaining("forbids encryption");
    cpu.aesenc256kl(new byte[16], noDec);
    assertThatThrownBy(() -> cpu.aesdec256kl(new byte[16], noDec))
        .hasMessageContaining("forbids decryption");
    cpu.aesenc256kl(new byte[16], cpl0);
    assertThatThrownBy(() -> cpu.atCpl(3).aesenc256kl(new byte[16], cpl0))
        .isInstanceOfSatisfying(
            HandleRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(HandleRejectedException.Reason.CPL));
    assertThatThrownBy(() -> cpu.atCpl(3).aesencwide256kl(new byte[128], cpl0))
        .isInstanceOf(HandleRejectedException.class);
  }

  @Test
  void wrongKeyTypeIsRejected() {
    KeyHandle h256 = encode256(Restrictions.NONE);
    assertThatThrownBy(() -> cpu.aesenc128kl(new byte[16], h256))
        .isInstanceOfSatisfying(
            HandleRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(HandleRejectedException.Reason.KEY_TYPE));
  }

  @Test
  void handleFromAnotherIwKeyIsRejected(@TempDir Path other) {
    KeyHandle h = encode256(Restrictions.NONE);
    try (EmulatedPlatform second = EmulatedPlatform.boot(PlatformConfig.defaults(other))) {
      assertThatThrownBy(() -> second.cpu().aesenc256kl(new byte[16], h))
          .isInstanceOfSatisfying(
              HandleRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(HandleRejectedException.Reason.AUTHENTICATION));
    }
    cpu.aesenc256kl(new byte[16], h); // still fine here
    platform.replaceIwKeyWithoutBackup();
    assertThatThrownBy(() -> cpu.aesenc256kl(new byte[16], h))
        .isInstanceOf(HandleRejectedException.class);
    assertThat(platform.counters().handleFailures()).isEqualTo(1);
  }

  @Test
  void unsupportedRestrictionRaisesGp(@TempDir Path other) {
    CpuFeatures f =
        new CpuFeatures(
            true, true, true, true, true, true, false, true); // no no-encrypt restriction
    try (EmulatedPlatform p =
            EmulatedPlatform.boot(PlatformConfig.defaults(other).withFeatures(f));
        ClearKey k = ClearKey.copyOf(KEY256, 0, 32)) {
      assertThatThrownBy(() -> p.cpu().encodeKey256(new Restrictions(false, true, false), k))
          .isInstanceOfSatisfying(
              KeyLockerFaultException.class,
              e -> assertThat(e.kind()).isEqualTo(KeyLockerFaultException.Kind.GENERAL_PROTECTION));
    }
  }

  @Test
  void toStringShowsNoKeyBytes() {
    KeyHandle h = encode256(Restrictions.CPL0_ONLY);
    String hex = HexFormat.of().formatHex(h.bytes(HandleBytesAccess.get()));
    assertThat(h.toString()).contains("AES_256").doesNotContain(hex.substring(32, 48));
    try (ClearKey k = ClearKey.copyOf(KEY256, 0, 32)) {
      assertThat(k.toString()).isEqualTo("ClearKey[32 bytes]");
    }
  }
}
