package dev.klcrypt.keylocker.cpu;

import dev.klcrypt.keylocker.handle.KeyHandle;
import dev.klcrypt.keylocker.handle.KeyType;
import dev.klcrypt.keylocker.handle.Restrictions;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.lang.foreign.MemorySegment;

/**
 * The unprivileged face of the emulated CPU: what volume code may execute. It cannot load, read or
 * back up the IWKey (that is {@link EmulatedPlatform}'s). Each instance runs at one CPL; {@link
 * #atCpl} gives another view of the same CPU.
 *
 * <p>Failures follow the spec: an illegal or unauthentic handle sets ZF and writes nothing ({@link
 * HandleRejectedException}); a soft-disabled Key Locker fails everything ({@link
 * KeyLockerUnavailableException}); missing features raise {@link KeyLockerFaultException}. Data
 * passed in is left unchanged on failure.
 */
public final class KeyLockerCpu {
  private final CpuCore core;
  private final int cpl;

  KeyLockerCpu(CpuCore core, int cpl) {
    this.core = core;
    this.cpl = cpl;
  }

  /** The same CPU seen from another privilege level (0 = kernel, 3 = user). */
  public KeyLockerCpu atCpl(int level) {
    if (level < 0 || level > 3) {
      throw new IllegalArgumentException("CPL is 0..3, not " + level);
    }
    return new KeyLockerCpu(core, level);
  }

  public int cpl() {
    return cpl;
  }

  public CpuidLeaf19 cpuid() {
    return CpuidLeaf19.of(core.features);
  }

  /** Whether AES-KL instructions can run now (present and not soft-disabled). */
  public boolean usable() {
    return core.features.keyLocker() && core.disabledReason() == null;
  }

  /** ENCODEKEY128: wraps a 16-byte key into a 384-bit handle under the current IWKey. */
  public KeyHandle encodeKey128(Restrictions restrictions, ClearKey key) {
    return core.encodeKey(cpl, restrictions, key, KeyType.AES_128);
  }

  /** ENCODEKEY256: wraps a 32-byte key into a 512-bit handle under the current IWKey. */
  public KeyHandle encodeKey256(Restrictions restrictions, ClearKey key) {
    return core.encodeKey(cpl, restrictions, key, KeyType.AES_256);
  }

  /** AESENC128KL on one 16-byte block, in place. */
  public void aesenc128kl(byte[] block, KeyHandle h) {
    core.aesBlocks(cpl, h, KeyType.AES_128, true, false, blocks(block, 16));
  }

  public void aesdec128kl(byte[] block, KeyHandle h) {
    core.aesBlocks(cpl, h, KeyType.AES_128, false, false, blocks(block, 16));
  }

  public void aesenc256kl(byte[] block, KeyHandle h) {
    core.aesBlocks(cpl, h, KeyType.AES_256, true, false, blocks(block, 16));
  }

  public void aesdec256kl(byte[] block, KeyHandle h) {
    core.aesBlocks(cpl, h, KeyType.AES_256, false, false, blocks(block, 16));
  }

  /** AESENCWIDE128KL on eight blocks (128 bytes, XMM0-7), in place. */
  public void aesencwide128kl(byte[] eightBlocks, KeyHandle h) {
    core.aesBlocks(cpl, h, KeyType.AES_128, true, true, blocks(eightBlocks, 128));
  }

  public void aesdecwide128kl(byte[] eightBlocks, KeyHandle h) {
    core.aesBlocks(cpl, h, KeyType.AES_128, false, true, blocks(eightBlocks, 128));
  }

  public void aesencwide256kl(byte[] eightBlocks, KeyHandle h) {
    core.aesBlocks(cpl, h, KeyType.AES_256, true, true, blocks(eightBlocks, 128));
  }

  public void aesdecwide256kl(byte[] eightBlocks, KeyHandle h) {
    core.aesBlocks(cpl, h, KeyType.AES_256, false, true, blocks(eightBlocks, 128));
  }

  /**
   * The aeskl-xts instruction sequence over whole data units (see {@link
   * dev.klcrypt.keylocker.xts}); unit i uses tweak value {@code firstTweak + i * tweakStep}. For
   * the XTS library, not for general use.
   */
  public void xtsSequence(
      KeyHandle data,
      KeyHandle tweak,
      boolean encrypt,
      long firstTweak,
      long tweakStep,
      MemorySegment src,
      MemorySegment dst,
      long unitLen) {
    core.xts(
        cpl,
        data,
        tweak,
        data.handleSize(),
        encrypt,
        firstTweak,
        tweakStep,
        null,
        src,
        dst,
        unitLen,
        src.byteSize() / unitLen);
  }

  /** The same sequence for one data unit of any length >= 16 with a full 16-byte tweak value. */
  public void xtsSequence(
      KeyHandle data,
      KeyHandle tweak,
      boolean encrypt,
      MemorySegment tweak16,
      MemorySegment src,
      MemorySegment dst) {
    core.xts(
        cpl, data, tweak, data.handleSize(), encrypt, 0, 0, tweak16, src, dst, src.byteSize(), 1);
  }

  /** Instruction counts so far. */
  public InstructionCounters.Snapshot counters() {
    return core.counters.snapshot();
  }

  private static MemorySegment blocks(byte[] b, int len) {
    if (b.length != len) {
      throw new IllegalArgumentException("operand must be " + len + " bytes, was " + b.length);
    }
    return MemorySegment.ofArray(b);
  }

  @Override
  public String toString() {
    return "KeyLockerCpu[CPL" + cpl + ", " + cpuid() + "]";
  }
}
