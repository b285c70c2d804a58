package dev.klcrypt.keylocker.cpu;

import dev.klcrypt.keylocker.handle.HandleBytesAccess;
import dev.klcrypt.keylocker.handle.KeyHandle;
import dev.klcrypt.keylocker.handle.KeyType;
import dev.klcrypt.keylocker.handle.Restrictions;
import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.memory.LockedMemory;
import java.lang.foreign.MemorySegment;

/**
 * The emulated CPU's state and the semantics of every Key Locker instruction. The IWKey (128-bit
 * integrity key, 256-bit encryption key, NoBackup, KeySource) and its AES schedules live in locked,
 * non-dumpable memory; no clear key or schedule ever reaches the Java heap.
 *
 * <p>Instructions take the read lock; anything that changes or drops the IWKey takes the write
 * lock, so no instruction runs on a half-wiped key.
 */
final class CpuCore implements AutoCloseable {
  static final int IWKEY_BYTES = 48; // integrity key 16 || encryption key 32
  private static final int CACHE_SLOTS = 256;

  // Changes only at an emulated reboot (CPUID is fixed while a boot lasts), under the write lock.
  volatile CpuFeatures features;
  final InstructionCounters counters = new InstructionCounters();

  // Instructions run concurrently on every thread; IWKey changes are rare (see ReaderBiasedLock).
  private final ReaderBiasedLock lock = new ReaderBiasedLock();
  private final LockedMemory iwKey = LockedMemory.allocate(IWKEY_BYTES);
  private final LockedMemory iwSchedules = LockedMemory.allocate(2L * NativeCore.SCHED_BYTES);
  private final UnwrappedKeyCache cache = new UnwrappedKeyCache(CACHE_SLOTS);
  private final MemorySegment macSchedule =
      iwSchedules.segment().asSlice(0, NativeCore.SCHED_BYTES);
  private final MemorySegment encSchedule =
      iwSchedules.segment().asSlice(NativeCore.SCHED_BYTES, NativeCore.SCHED_BYTES);

  private boolean iwKeyLoaded;
  private KeySource iwKeySource = KeySource.SOFTWARE;
  private boolean iwNoBackup;
  private volatile String disabledReason;
  private boolean entropyFailureArmed;

  CpuCore(CpuFeatures features) {
    this.features = features;
    expandIwKeyLocked();
  }

  // ------------------------------------------------------------------ privileged state changes

  /**
   * LOADIWKEY. Returns false (ZF=1) when KeySource 1 finds no entropy, in which case the old IWKey
   * stays.
   *
   * @throws KeyLockerFaultException #UD without Key Locker, #GP for a flag the CPU lacks
   */
  boolean loadIwKey(
      ClearKey integrityKey, ClearKey encryptionKey, KeySource source, boolean noBackup) {
    requireKeyLocker();
    if (integrityKey.length() != 16 || encryptionKey.length() != 32) {
      throw new IllegalArgumentException(
          "LOADIWKEY takes a 16-byte integrity key and a 32-byte encryption key");
    }
    if (source == KeySource.HARDWARE_RANDOM && !features.randomKeySource()) {
      throw new KeyLockerFaultException(
          KeyLockerFaultException.Kind.GENERAL_PROTECTION, "KeySource 1 without CPUID.19H:ECX[1]");
    }
    if (noBackup && !features.noBackupFlag()) {
      throw new KeyLockerFaultException(
          KeyLockerFaultException.Kind.GENERAL_PROTECTION, "NoBackup without CPUID.19H:ECX[0]");
    }
    try (LockedMemory next = LockedMemory.allocate(IWKEY_BYTES)) {
      MemorySegment n = next.segment();
      n.asSlice(0, 16).copyFrom(integrityKey.segment());
      n.asSlice(16, 32).copyFrom(encryptionKey.segment());
      if (source == KeySource.HARDWARE_RANDOM) {
        synchronized (this) {
          if (entropyFailureArmed) {
            entropyFailureArmed = false;
            counters.executed(Instruction.LOADIWKEY, 1);
            return false;
          }
        }
        try (LockedMemory rnd = LockedMemory.allocate(IWKEY_BYTES)) {
          if (NativeCore.random(rnd.segment()) != 0) {
            counters.executed(Instruction.LOADIWKEY, 1);
            return false;
          }
          // EncKey ^= rnd[255:0], IntegrityKey ^= rnd[383:256]
          NativeCore.xor(n.asSlice(16, 32), rnd.segment().asSlice(0, 32));
          NativeCore.xor(n.asSlice(0, 16), rnd.segment().asSlice(32, 16));
        }
      }
      install(n, source, noBackup);
    }
    counters.loaded(source);
    return true;
  }

  /** Installs IWKey bytes (from LOADIWKEY or a platform restore). */
  void install(MemorySegment key48, KeySource source, boolean noBackup) {
    lock.lockWrite();
    try {
      cache.clear();
      iwKey.segment().copyFrom(key48);
      expandIwKeyLocked();
      iwKeyLoaded = true;
      iwKeySource = source;
      iwNoBackup = noBackup;
    } finally {
      lock.unlockWrite();
    }
  }

  /** A new boot may come with other CPU features (a BIOS switch); the IWKey is lost with it. */
  void rebootWith(CpuFeatures next) {
    lock.lockWrite();
    try {
      features = next;
    } finally {
      lock.unlockWrite();
    }
  }

  /**
   * The IWKey is lost (S3/S4 drops CPU state): it becomes zero and every unwrapped schedule is
   * wiped.
   */
  void loseIwKey() {
    lock.lockWrite();
    try {
      cache.clear();
      iwKey.wipe();
      expandIwKeyLocked();
      iwKeyLoaded = false;
    } finally {
      lock.unlockWrite();
    }
  }

  private void expandIwKeyLocked() {
    NativeCore.expand(iwKey.segment().asSlice(0, 16), macSchedule);
    NativeCore.expand(iwKey.segment().asSlice(16, 32), encSchedule);
  }

  void softDisable(String reason) {
    disabledReason = reason;
  }

  void reEnable() {
    disabledReason = null;
  }

  String disabledReason() {
    return disabledReason;
  }

  synchronized void armEntropyFailure() {
    entropyFailureArmed = true;
  }

  boolean iwKeyLoaded() {
    return iwKeyLoaded;
  }

  KeySource iwKeySource() {
    return iwKeySource;
  }

  boolean iwNoBackup() {
    return iwNoBackup;
  }

  /** Runs {@code body} with the IWKey bytes under the read lock (for sealing a platform backup). */
  void withIwKey(java.util.function.Consumer<MemorySegment> body) {
    int r = lock.lockRead();
    try {
      body.accept(iwKey.segment());
    } finally {
      lock.unlockRead(r);
    }
  }

  // ------------------------------------------------------------------ instructions

  private void requireKeyLocker() {
    if (!features.keyLocker()) {
      throw new KeyLockerFaultException(
          KeyLockerFaultException.Kind.INVALID_OPCODE, "Key Locker absent (CPUID.07H:ECX[23]=0)");
    }
  }

  private void requireUsable() {
    requireKeyLocker();
    String why = disabledReason;
    if (why != null) {
      throw new KeyLockerUnavailableException("Key Locker is soft-disabled: " + why);
    }
  }

  KeyHandle encodeKey(int cpl, Restrictions r, ClearKey key, KeyType type) {
    requireUsable();
    Instruction instr =
        type == KeyType.AES_128 ? Instruction.ENCODEKEY128 : Instruction.ENCODEKEY256;
    if (key.length() != type.keyBytes()) {
      throw new IllegalArgumentException(
          instr + " takes a " + type.keyBytes() + "-byte key, not " + key.length());
    }
    int bits = r.bits();
    if ((bits & ~features.supportedRestrictionBits()) != 0) {
      throw new KeyLockerFaultException(
          KeyLockerFaultException.Kind.GENERAL_PROTECTION,
          instr + " restriction bits " + bits + " not supported (CPUID.19H:EAX)");
    }
    byte[] handle = new byte[type.handleBytes()];
    int aad = bits | type.code() << 24;
    handle[0] = (byte) aad;
    handle[3] = (byte) (aad >>> 24);
    MemorySegment h = MemorySegment.ofArray(handle);
    int stamp = lock.lockRead();
    try {
      NativeCore.sivSeal(
          macSchedule,
          encSchedule,
          h.asSlice(0, 16),
          key.segment(),
          h.asSlice(16, 16),
          h.asSlice(32, type.keyBytes()));
    } finally {
      lock.unlockRead(stamp);
    }
    counters.executed(instr, 1);
    return KeyHandle.fromBytes(handle);
  }

  /**
   * Checks a handle the way AES*KL does (reserved bits, CPL, restriction, key type) and, unless
   * already done under this IWKey, unwraps and authenticates it. Caller holds the read lock.
   */
  private UnwrappedKeyCache.Entry resolve(
      int cpl, KeyHandle h, KeyType type, boolean encrypt, Instruction instr) {
    UnwrappedKeyCache.Entry e = cache.get(h);
    if (e != null) {
      return e;
    }
    int low = h.aadLow32();
    byte[] raw = h.bytes(HandleBytesAccess.get());
    boolean reservedClear = (low & ~(0x7 | 0xF << 24)) == 0;
    for (int i = 4; i < 16 && reservedClear; i++) {
      reservedClear = raw[i] == 0;
    }
    if (!reservedClear) {
      throw reject(instr, HandleRejectedException.Reason.RESERVED_BITS);
    }
    if ((low & 1) != 0 && cpl > 0) {
      throw reject(instr, HandleRejectedException.Reason.CPL);
    }
    if (encrypt && (low & 2) != 0) {
      throw reject(instr, HandleRejectedException.Reason.NO_ENCRYPT);
    }
    if (!encrypt && (low & 4) != 0) {
      throw reject(instr, HandleRejectedException.Reason.NO_DECRYPT);
    }
    if (h.handleSize() != type || (low >>> 24 & 0xF) != type.code()) {
      throw reject(instr, HandleRejectedException.Reason.KEY_TYPE);
    }
    MemorySegment r = MemorySegment.ofArray(raw);
    try (LockedMemory clear = LockedMemory.allocate(type.keyBytes())) {
      boolean ok =
          NativeCore.sivOpen(
              macSchedule,
              encSchedule,
              r.asSlice(0, 16),
              r.asSlice(16, 16),
              r.asSlice(32, type.keyBytes()),
              clear.segment());
      if (!ok) {
        throw reject(instr, HandleRejectedException.Reason.AUTHENTICATION);
      }
      return cache.put(h, clear.segment());
    }
  }

  /**
   * Runs the checks of {@code resolve} only for cached entries (restrictions may differ per
   * direction).
   */
  private UnwrappedKeyCache.Entry checked(
      int cpl, KeyHandle h, KeyType type, boolean encrypt, Instruction instr) {
    UnwrappedKeyCache.Entry e = cache.get(h);
    if (e != null) {
      int low = h.aadLow32();
      if ((low & 1) != 0 && cpl > 0) {
        throw reject(instr, HandleRejectedException.Reason.CPL);
      }
      if (encrypt ? (low & 2) != 0 : (low & 4) != 0) {
        throw reject(
            instr,
            encrypt
                ? HandleRejectedException.Reason.NO_ENCRYPT
                : HandleRejectedException.Reason.NO_DECRYPT);
      }
      if (h.handleSize() != type) {
        throw reject(instr, HandleRejectedException.Reason.KEY_TYPE);
      }
      return e;
    }
    return resolve(cpl, h, type, encrypt, instr);
  }

  private HandleRejectedException reject(Instruction instr, HandleRejectedException.Reason r) {
    counters.rejected(r);
    return new HandleRejectedException(instr, r);
  }

  /** Acquires the read lock (returns its stamp), making room in the cache first when it is full. */
  private int lockForInstruction() {
    if (cache.full()) {
      lock.lockWrite();
      try {
        if (cache.full()) {
          cache.clear();
        }
      } finally {
        lock.unlockWrite();
      }
    }
    return lock.lockRead();
  }

  /**
   * AES{ENC,DEC}{128,256}KL (blocks = 1) and the WIDE forms (blocks = 8), in place on {@code data}.
   */
  void aesBlocks(
      int cpl, KeyHandle h, KeyType type, boolean encrypt, boolean wide, MemorySegment data) {
    requireUsable();
    if (wide && !features.wide()) {
      throw new KeyLockerFaultException(
          KeyLockerFaultException.Kind.INVALID_OPCODE, "WIDE_KL absent (CPUID.19H:EBX[2]=0)");
    }
    boolean aes256 = type == KeyType.AES_256;
    Instruction instr =
        wide ? Instruction.wide(aes256, encrypt) : Instruction.single(aes256, encrypt);
    int r = lockForInstruction();
    try {
      UnwrappedKeyCache.Entry e = checked(cpl, h, type, encrypt, instr);
      NativeCore.blocks(e.schedule(), e.rounds(), !encrypt, data, data);
    } finally {
      lock.unlockRead(r);
    }
    counters.executed(instr, 1);
  }

  /**
   * The XTS instruction sequence of the kernel's aeskl-xts (keylocker.md section 6) for {@code
   * units} data units: per unit one AESENC{128,256}KL with the tweak handle for T0, then
   * AES{ENC,DEC}WIDE{128,256}KL per 8 blocks and the single-block instruction for the rest (all
   * single-block without WIDE_KL). Executed in one native call; counted as those instructions.
   */
  void xts(
      int cpl,
      KeyHandle data,
      KeyHandle tweak,
      KeyType type,
      boolean encrypt,
      long firstTweak,
      long tweakStep,
      MemorySegment iv16,
      MemorySegment src,
      MemorySegment dst,
      long unitLen,
      long units) {
    requireUsable();
    boolean aes256 = type == KeyType.AES_256;
    Instruction single = Instruction.single(aes256, encrypt);
    Instruction wideInstr = Instruction.wide(aes256, encrypt);
    Instruction tweakInstr = Instruction.single(aes256, true);
    boolean wide = features.wide();
    int r = lockForInstruction();
    try {
      UnwrappedKeyCache.Entry t = checked(cpl, tweak, type, true, tweakInstr);
      UnwrappedKeyCache.Entry d = checked(cpl, data, type, encrypt, wide ? wideInstr : single);
      if (iv16 != null) {
        NativeCore.xtsUnitIv(d.schedule(), t.schedule(), d.rounds(), !encrypt, iv16, src, dst);
      } else {
        NativeCore.xtsUnits(
            d.schedule(),
            t.schedule(),
            d.rounds(),
            !encrypt,
            firstTweak,
            tweakStep,
            src,
            dst,
            unitLen,
            units);
      }
    } finally {
      lock.unlockRead(r);
    }
    long blocks = (unitLen + 15) / 16;
    counters.executed(tweakInstr, units);
    if (wide) {
      counters.executed(wideInstr, units * (blocks / 8));
      counters.executed(single, units * (blocks % 8));
    } else {
      counters.executed(single, units * blocks);
    }
  }

  @Override
  public void close() {
    lock.lockWrite();
    try {
      cache.close();
      iwKey.close();
      iwSchedules.close();
      iwKeyLoaded = false;
    } finally {
      lock.unlockWrite();
    }
  }
}
