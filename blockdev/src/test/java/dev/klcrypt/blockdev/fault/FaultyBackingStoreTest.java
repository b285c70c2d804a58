package dev.klcrypt.blockdev.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.blockdev.BackingStoreIoException;
import dev.klcrypt.blockdev.store.FileBackingStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every rule against a real file-backed store: the image is a file in a temporary directory, {@link
 * FileBackingStore} does the I/O, and durability claims are checked by reading the file itself
 * after the store is closed.
 */
class FaultyBackingStoreTest {
  private static final int SECTOR = SectorRange.SECTOR_BYTES;
  private static final int SIZE = 256 * SECTOR; // 128 KiB, 32 pages

  @TempDir Path dir;
  private Path image;
  private byte[] original;
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private FaultyBackingStore store;

  @BeforeEach
  void createImage() throws Exception {
    image = dir.resolve("image.bin");
    original = pattern(SIZE, 7);
    Files.write(image, original);
    store = open(FaultyBackingStore.builder(FileBackingStore.open(image, false)).seed(1234));
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  private FaultyBackingStore open(FaultyBackingStore.Builder b) {
    return b.nanoClock(clock::get).build();
  }

  private void advanceMillis(long ms) {
    clock.addAndGet(ms * 1_000_000L);
  }

  private static byte[] pattern(int len, int salt) {
    byte[] b = new byte[len];
    for (int i = 0; i < len; i++) {
      b[i] = (byte) (i * 31 + salt + (i >>> 9));
    }
    return b;
  }

  private static FaultStep step(String line) throws ScenarioFormatException {
    return ScenarioParser.parseStep(line);
  }

  private void writeSectors(long sector, byte[] data) {
    store.write(sector * SECTOR, ByteBuffer.wrap(data));
  }

  private byte[] readSectors(long sector, int count) {
    ByteBuffer b = ByteBuffer.allocate(count * SECTOR);
    store.read(sector * SECTOR, b);
    return b.array();
  }

  private byte[] fileSectors(long sector, int count) throws Exception {
    byte[] all = Files.readAllBytes(image);
    return Arrays.copyOfRange(all, (int) sector * SECTOR, (int) (sector + count) * SECTOR);
  }

  private byte[] originalSectors(long sector, int count) {
    return Arrays.copyOfRange(original, (int) sector * SECTOR, (int) (sector + count) * SECTOR);
  }

  private void closeAndForget() {
    store.close();
    store = null;
  }

  private static FaultErrno injectedErrno(Throwable t) {
    assertThat(t).isInstanceOf(BackingStoreIoException.class);
    assertThat(t.getCause()).isInstanceOf(InjectedFaultException.class);
    return ((InjectedFaultException) t.getCause()).errno();
  }

  private static FaultErrno failure(Runnable op) {
    try {
      op.run();
    } catch (BackingStoreIoException e) {
      return injectedErrno(e);
    }
    return null;
  }

  // ---- error rules

  @Test
  void errorRuleFailsOnlyOverlappingWritesInItsRange() throws Exception {
    store.add(step("error write sectors 16-31 errno=ENOSPC"));
    byte[] data = pattern(SECTOR, 99);

    assertThat(failure(() -> writeSectors(15, data))).isNull();
    assertThat(failure(() -> writeSectors(16, data))).isEqualTo(FaultErrno.ENOSPC);
    assertThat(failure(() -> writeSectors(31, data))).isEqualTo(FaultErrno.ENOSPC);
    assertThat(
            failure(() -> store.write(15 * SECTOR + 100, ByteBuffer.wrap(data)))) // straddles 15/16
        .isEqualTo(FaultErrno.ENOSPC);
    assertThat(failure(() -> writeSectors(32, data))).isNull();
    assertThat(failure(() -> readSectors(16, 16)))
        .as("reads are not covered by a write rule")
        .isNull();
    store.flush();

    assertThat(fileSectors(15, 1)).isEqualTo(data);
    assertThat(fileSectors(16, 16)).isEqualTo(originalSectors(16, 16));
    assertThat(fileSectors(32, 1)).isEqualTo(data);
    assertThat(store.counters().injections(FaultKind.ERROR)).isEqualTo(3);
    assertThat(store.list())
        .singleElement()
        .satisfies(f -> assertThat(f.injections()).isEqualTo(3));
  }

  @ParameterizedTest
  @EnumSource(FaultErrno.class)
  void everyAllowedErrnoReachesTheCaller(FaultErrno errno) throws Exception {
    store.add(
        step("error read sectors 0 errno=" + errno.name().toLowerCase(java.util.Locale.ROOT)));
    assertThat(failure(() -> readSectors(0, 1))).isEqualTo(errno);
    assertThat(failure(() -> readSectors(1, 1))).isNull();
  }

  @Test
  void flushAndDiscardErrorsMatchTheirOperationOnly() throws Exception {
    store.add(step("error flush errno=EIO"));
    store.add(step("error discard sectors 100-101 errno=EROFS"));
    assertThat(failure(() -> store.flush())).isEqualTo(FaultErrno.EIO);
    assertThat(failure(() -> store.discard(100L * SECTOR, SECTOR))).isEqualTo(FaultErrno.EROFS);
    assertThat(failure(() -> store.discard(102L * SECTOR, SECTOR))).isNull();
    assertThat(failure(() -> writeSectors(100, pattern(SECTOR, 1)))).isNull();
  }

  @Test
  void timesLimitsInjectionsThenTheRuleIsSpent() throws Exception {
    long id = store.add(step("error write errno=EIO times=2"));
    byte[] data = pattern(SECTOR, 3);
    assertThat(failure(() -> writeSectors(0, data))).isEqualTo(FaultErrno.EIO);
    assertThat(failure(() -> writeSectors(0, data))).isEqualTo(FaultErrno.EIO);
    assertThat(failure(() -> writeSectors(0, data))).isNull();
    assertThat(store.list())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.id()).isEqualTo(id);
              assertThat(f.state()).isEqualTo(ArmedFault.State.DONE);
              assertThat(f.injections()).isEqualTo(2);
            });
  }

  private List<Boolean> failurePattern(FaultyBackingStore s, int ops) {
    List<Boolean> out = new ArrayList<>();
    for (int i = 0; i < ops; i++) {
      try {
        s.read(0, ByteBuffer.allocate(SECTOR));
        out.add(false);
      } catch (BackingStoreIoException e) {
        injectedErrno(e);
        out.add(true);
      }
    }
    return out;
  }

  @Test
  void seededRatesAreReproducibleAndSeedsMatter() throws Exception {
    Scenario a = ScenarioParser.parse("klcrypt-faults 1\nseed 42\nerror read rate=0.5\n");
    Scenario b = ScenarioParser.parse("klcrypt-faults 1\nseed 43\nerror read rate=0.5\n");

    store.load(a);
    List<Boolean> first = failurePattern(store, 200);
    closeAndForget();
    store = open(FaultyBackingStore.builder(FileBackingStore.open(image, false)));
    store.load(a);
    List<Boolean> again = failurePattern(store, 200);
    closeAndForget();
    store = open(FaultyBackingStore.builder(FileBackingStore.open(image, false)));
    store.load(b);
    List<Boolean> other = failurePattern(store, 200);

    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    long hits = first.stream().filter(x -> x).count();
    assertThat(hits).isBetween(60L, 140L); // 200 draws at p=0.5: outside this is < 1e-8
  }

  @Test
  void explicitRuleSeedIsReproducibleAcrossStoresAndListedSeedReplaysARun() throws Exception {
    store.add(step("error read rate=0.3"));
    String listed = store.list().getFirst().step();
    assertThat(listed).contains("seed=");
    List<Boolean> first = failurePattern(store, 100);
    closeAndForget();
    store = open(FaultyBackingStore.builder(FileBackingStore.open(image, false)).seed(999));
    store.add(
        step(listed)); // the seed shown by 'fault list' replays the same run, whatever the store's
    // seed
    assertThat(failurePattern(store, 100)).isEqualTo(first);
  }

  // ---- triggers

  @Test
  void afterCountTriggerAffectsTheNextMatchingOperation() throws Exception {
    store.add(step("after 3 writes error write"));
    byte[] data = pattern(SECTOR, 5);
    readSectors(0, 1); // reads do not count
    for (int i = 0; i < 3; i++) {
      assertThat(failure(() -> writeSectors(0, data))).as("write %d", i + 1).isNull();
    }
    assertThat(store.list().getFirst().state()).isEqualTo(ArmedFault.State.PENDING);
    assertThat(failure(() -> writeSectors(0, data))).isEqualTo(FaultErrno.EIO);
    assertThat(failure(() -> writeSectors(0, data))).isEqualTo(FaultErrno.EIO);
  }

  @Test
  void onOperationTriggerFiresAtTheFirstSuchOperation() throws Exception {
    store.add(step("on flush error write errno=EROFS"));
    byte[] data = pattern(SECTOR, 5);
    assertThat(failure(() -> writeSectors(0, data))).isNull();
    store.flush();
    assertThat(failure(() -> writeSectors(0, data))).isEqualTo(FaultErrno.EROFS);
  }

  @Test
  void timeTriggerUsesTheStoreClock() throws Exception {
    store.add(step("at 100ms error read"));
    assertThat(failure(() -> readSectors(0, 1))).isNull();
    advanceMillis(99);
    assertThat(failure(() -> readSectors(0, 1))).isNull();
    advanceMillis(1);
    assertThat(failure(() -> readSectors(0, 1))).isEqualTo(FaultErrno.EIO);
  }

  @Test
  void timeTriggeredFlakeyCycleStartsWhenDueNotWhenNoticed() throws Exception {
    store.add(step("at 1s flakey up=100ms down=100ms"));
    advanceMillis(1050); // first operation after the due time: the cycle began at 1000ms
    assertThat(failure(() -> readSectors(0, 1))).isNull();
    advanceMillis(50); // 1100ms: down
    assertThat(failure(() -> readSectors(0, 1))).isEqualTo(FaultErrno.EIO);
  }

  @Test
  void clearStepEndsActiveRulesButLeavesPendingOnes() throws Exception {
    store.load(
        ScenarioParser.parse(
            """
            klcrypt-faults 1
            now error write
            at 1s clear
            at 2s error read errno=ETIMEDOUT
            """));
    byte[] data = pattern(SECTOR, 1);
    assertThat(failure(() -> writeSectors(0, data))).isEqualTo(FaultErrno.EIO);
    advanceMillis(1000);
    assertThat(failure(() -> writeSectors(0, data))).isNull();
    assertThat(failure(() -> readSectors(0, 1))).isNull();
    advanceMillis(1000);
    assertThat(failure(() -> readSectors(0, 1))).isEqualTo(FaultErrno.ETIMEDOUT);
    assertThat(store.list())
        .extracting(ArmedFault::state)
        .containsExactly(ArmedFault.State.DONE, ArmedFault.State.DONE, ArmedFault.State.ACTIVE);
  }

  @Test
  void clearAndRemoveDisarm() throws Exception {
    long a = store.add(step("error read"));
    store.add(step("error write"));
    assertThat(store.remove(a)).isTrue();
    assertThat(store.remove(a)).isFalse();
    assertThat(failure(() -> readSectors(0, 1))).isNull();
    assertThat(failure(() -> writeSectors(0, pattern(SECTOR, 1)))).isEqualTo(FaultErrno.EIO);
    store.clear();
    assertThat(store.list()).isEmpty();
    assertThat(failure(() -> writeSectors(0, pattern(SECTOR, 1)))).isNull();
  }

  // ---- flakey

  @Test
  void flakeyErrorModeFollowsUpAndDownIntervals() throws Exception {
    store.add(step("flakey up=100ms down=50ms errno=ENXIO"));
    // cycle of 150ms starting when armed: [0,100) up, [100,150) down
    long[] at = {0, 99, 100, 149, 150, 249, 250, 299, 300};
    Boolean[] down = {false, false, true, true, false, false, true, true, false};
    long t = 0;
    for (int i = 0; i < at.length; i++) {
      advanceMillis(at[i] - t);
      t = at[i];
      FaultErrno r = failure(() -> readSectors(3, 1));
      assertThat(r != null).as("down at %dms", t).isEqualTo(down[i]);
      if (r != null) {
        assertThat(r).isEqualTo(FaultErrno.ENXIO);
      }
    }
  }

  @Test
  void flakeyDropWritesModeDropsWritesWhileDownAndStillReads() throws Exception {
    store.add(step("flakey up=10ms down=10ms mode=drop-writes"));
    byte[] upData = pattern(SECTOR, 11);
    byte[] downData = pattern(SECTOR, 12);
    writeSectors(1, upData);
    advanceMillis(10); // down
    writeSectors(2, downData);
    assertThat(readSectors(1, 1)).isEqualTo(upData);
    assertThat(readSectors(2, 1)).as("dropped write").isEqualTo(originalSectors(2, 1));
    store.flush(); // flushes are not dropped by drop-writes mode
    closeAndForget();
    assertThat(fileSectors(1, 1)).isEqualTo(upData);
    assertThat(fileSectors(2, 1)).isEqualTo(originalSectors(2, 1));
  }

  // ---- drop

  @Test
  void dropWritesReallyDropsOnlyInRange() throws Exception {
    store.add(step("drop write sectors 8-15"));
    byte[] data = pattern(16 * SECTOR, 21);
    writeSectors(0, data); // overlaps: the whole request is acknowledged and dropped
    writeSectors(16, Arrays.copyOf(data, SECTOR));
    store.flush();
    closeAndForget();
    assertThat(fileSectors(0, 16)).isEqualTo(originalSectors(0, 16));
    assertThat(fileSectors(16, 1)).isEqualTo(Arrays.copyOf(data, SECTOR));
  }

  @Test
  void droppedFlushLeavesWritesToBeLostByAPowerCut() throws Exception {
    store.add(step("drop flush"));
    byte[] data = pattern(SECTOR, 22);
    writeSectors(5, data);
    store.flush(); // acknowledged, did nothing
    assertThat(store.unflushedBytes()).isPositive();
    store.powerCut(PowerCut.AfterCut.OFF);
    closeAndForget();
    assertThat(fileSectors(5, 1)).isEqualTo(originalSectors(5, 1));
  }

  // ---- corrupt

  private static List<Integer> differences(byte[] a, byte[] b) {
    List<Integer> d = new ArrayList<>();
    for (int i = 0; i < a.length; i++) {
      if (a[i] != b[i]) {
        d.add(i);
      }
    }
    return d;
  }

  @Test
  void corruptOnWriteChangesExactlyTheBytesAskedForInsideTheRangeAndPersists() throws Exception {
    store.add(step("corrupt write sectors 4-7 bytes=3 seed=5"));
    byte[] data = pattern(16 * SECTOR, 31);
    byte[] callerCopy = data.clone();
    writeSectors(0, data);
    assertThat(data).as("caller's buffer untouched").isEqualTo(callerCopy);
    store.flush();
    closeAndForget();
    List<Integer> diff = differences(data, fileSectors(0, 16));
    assertThat(diff)
        .hasSize(3)
        .allSatisfy(i -> assertThat(i).isBetween(4 * SECTOR, 8 * SECTOR - 1));
  }

  @Test
  void corruptOnReadChangesWhatTheReaderGetsButNotTheStore() throws Exception {
    long id = store.add(step("corrupt read sectors 2 bytes=2 seed=9"));
    byte[] got = readSectors(0, 4);
    List<Integer> diff = differences(originalSectors(0, 4), got);
    assertThat(diff)
        .hasSize(2)
        .allSatisfy(i -> assertThat(i).isBetween(2 * SECTOR, 3 * SECTOR - 1));
    assertThat(readSectors(3, 1)).as("outside the range").isEqualTo(originalSectors(3, 1));
    store.remove(id);
    assertThat(readSectors(0, 4)).isEqualTo(originalSectors(0, 4));
    assertThat(fileSectors(0, 4)).isEqualTo(originalSectors(0, 4));
    assertThat(store.counters().injections(FaultKind.CORRUPT)).isEqualTo(1);
  }

  @Test
  void corruptionWithTheSameSeedHitsTheSameBytes() throws Exception {
    store.add(step("corrupt read bytes=8 seed=77"));
    byte[] first = readSectors(0, 8);
    closeAndForget();
    store = open(FaultyBackingStore.builder(FileBackingStore.open(image, false)));
    store.add(step("corrupt read bytes=8 seed=77"));
    assertThat(readSectors(0, 8)).isEqualTo(first);
    closeAndForget();
    store = open(FaultyBackingStore.builder(FileBackingStore.open(image, false)));
    store.add(step("corrupt read bytes=8 seed=78"));
    assertThat(readSectors(0, 8)).isNotEqualTo(first);
  }

  // ---- delay

  @Test
  void delayAddsAtLeastTheDelayToMatchingOperationsOnly() throws Exception {
    store.add(step("delay write 40ms sectors 0-7"));
    byte[] data = pattern(SECTOR, 41);
    long t0 = System.nanoTime();
    writeSectors(0, data);
    long took = System.nanoTime() - t0;
    assertThat(took).isGreaterThanOrEqualTo(40_000_000L);
    writeSectors(8, data);
    readSectors(0, 1);
    assertThat(store.counters().injections(FaultKind.DELAY)).isEqualTo(1);
  }

  // ---- power cut

  @Test
  void unflushedWritesNeverReachTheFileBeforeAFlush() throws Exception {
    byte[] data = pattern(SECTOR, 51);
    writeSectors(9, data);
    assertThat(readSectors(9, 1)).as("reads see unflushed writes").isEqualTo(data);
    assertThat(fileSectors(9, 1)).isEqualTo(originalSectors(9, 1));
    store.flush();
    assertThat(fileSectors(9, 1)).isEqualTo(data);
    assertThat(store.unflushedBytes()).isZero();
  }

  @Test
  void powerCutLosesExactlyTheUnflushedWritesAndDiscards() throws Exception {
    byte[] a = pattern(8 * SECTOR, 61);
    byte[] b = pattern(8 * SECTOR, 62);
    byte[] c = pattern(3 * SECTOR, 63);
    writeSectors(0, a);
    store.discard(64L * SECTOR, 8 * SECTOR);
    store.flush(); // durable: a at 0..7, zeros at 64..71

    writeSectors(0, b); // unflushed overwrite
    store.write(100L * SECTOR + 17, ByteBuffer.wrap(c)); // unaligned, crosses pages
    store.discard(200L * SECTOR, 16 * SECTOR); // unflushed discard
    assertThat(readSectors(0, 8)).isEqualTo(b);
    assertThat(readSectors(200, 16)).isEqualTo(new byte[16 * SECTOR]);
    assertThat(store.unflushedBytes()).isPositive();

    long lost = store.powerCut(PowerCut.AfterCut.OFF);
    assertThat(lost).isPositive();
    assertThat(failure(() -> readSectors(0, 1))).isEqualTo(FaultErrno.ENXIO);
    assertThat(store.poweredOff()).isTrue();
    closeAndForget();

    byte[] file = Files.readAllBytes(image);
    byte[] expected = original.clone();
    System.arraycopy(a, 0, expected, 0, a.length);
    Arrays.fill(expected, 64 * SECTOR, 72 * SECTOR, (byte) 0);
    assertThat(file).isEqualTo(expected);
  }

  @Test
  void powerCutThatContinuesServesTheFlushedState() throws Exception {
    byte[] a = pattern(SECTOR, 71);
    byte[] b = pattern(SECTOR, 72);
    writeSectors(3, a);
    store.flush();
    writeSectors(3, b);
    store.add(step("now powercut then=continue"));
    assertThat(readSectors(3, 1)).isEqualTo(a);
    assertThat(store.counters().injections(FaultKind.POWER_CUT)).isEqualTo(1);
    assertThat(store.counters().powerCutLostBytes()).isEqualTo(4096); // one page
  }

  @Test
  void powerCutOnFlushHappensInsteadOfTheFlush() throws Exception {
    byte[] a = pattern(SECTOR, 81);
    store.add(step("on flush powercut"));
    writeSectors(7, a);
    assertThat(failure(() -> store.flush())).isEqualTo(FaultErrno.ENXIO);
    store.clear(); // restores power
    assertThat(store.poweredOff()).isFalse();
    assertThat(readSectors(7, 1)).isEqualTo(originalSectors(7, 1));
    closeAndForget();
    assertThat(fileSectors(7, 1)).isEqualTo(originalSectors(7, 1));
  }

  @Test
  void discardThenWriteInOnePageReadsAndPersistsCorrectly() throws Exception {
    byte[] w = pattern(SECTOR, 91);
    store.discard(8L * SECTOR, 8 * SECTOR); // page 1 entirely
    store.discard(16L * SECTOR + 100, 300); // part of page 2, no cached page there
    writeSectors(10, w); // inside the discarded page
    byte[] expected = Arrays.copyOfRange(original, 0, 24 * SECTOR);
    Arrays.fill(expected, 8 * SECTOR, 16 * SECTOR, (byte) 0);
    Arrays.fill(expected, 16 * SECTOR + 100, 16 * SECTOR + 400, (byte) 0);
    System.arraycopy(w, 0, expected, 10 * SECTOR, SECTOR);
    assertThat(readSectors(0, 24)).isEqualTo(expected);
    store.flush();
    closeAndForget();
    assertThat(fileSectors(0, 24)).isEqualTo(expected);
  }

  @Test
  void fullCacheIsWrittenBackAndCounted() throws Exception {
    store.close();
    store =
        open(
            FaultyBackingStore.builder(FileBackingStore.open(image, false))
                .cacheCapacityBytes(8192));
    byte[] data = pattern(6 * 4096, 101);
    store.write(0, ByteBuffer.wrap(data));
    assertThat(store.counters().cacheWritebacks()).isEqualTo(1);
    assertThat(fileSectors(0, 48)).isEqualTo(data); // written back, not yet fsynced
    assertThat(store.unflushedBytes()).isZero();
  }

  @Test
  void withoutTheVolatileCacheWritesGoStraightThroughAndPowerCutsAreRefused() throws Exception {
    store.close();
    store =
        open(FaultyBackingStore.builder(FileBackingStore.open(image, false)).volatileCache(false));
    byte[] data = pattern(SECTOR, 121);
    writeSectors(6, data);
    assertThat(fileSectors(6, 1)).isEqualTo(data);
    assertThat(store.unflushedBytes()).isZero();
    FaultStep cut = step("on flush powercut");
    assertThatThrownBy(() -> store.add(cut))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no volatile write cache");
    assertThatThrownBy(() -> store.powerCut(PowerCut.AfterCut.OFF))
        .isInstanceOf(IllegalStateException.class);
    store.add(step("error write sectors 6"));
    assertThat(failure(() -> writeSectors(6, pattern(SECTOR, 122)))).isEqualTo(FaultErrno.EIO);
    assertThat(fileSectors(6, 1)).isEqualTo(data);
  }

  @Test
  void closeWritesBackUnlessPoweredOff() throws Exception {
    byte[] data = pattern(SECTOR, 111);
    writeSectors(12, data);
    closeAndForget();
    assertThat(fileSectors(12, 1)).isEqualTo(data);
  }

  // ---- Key Locker steps

  @Test
  void keyLockerStepsGoToTheSinkWhenTheirTriggerFires() throws Exception {
    List<KeyLockerFaultSpec> handed = new ArrayList<>();
    store.close();
    store =
        open(
            FaultyBackingStore.builder(FileBackingStore.open(image, false))
                .keyLockerSink(handed::add));
    store.add(step("after 2 reads keylocker restore-failure kind=replayed"));
    store.add(step("at 5s keylocker no-backup-support"));
    readSectors(0, 1);
    readSectors(0, 1);
    assertThat(handed).isEmpty();
    readSectors(0, 1);
    assertThat(handed)
        .containsExactly(
            KeyLockerFaultSpec.restoreFailure(KeyLockerFaultSpec.RestoreFailure.WRONG_BOOT));
    advanceMillis(5000);
    store.fireDueSteps(); // no I/O needed for time triggers
    assertThat(handed)
        .hasSize(2)
        .last()
        .isEqualTo(KeyLockerFaultSpec.of(KeyLockerFaultSpec.Kind.NO_BACKUP_SUPPORT));
    assertThat(store.counters().injections(FaultKind.KEYLOCKER)).isEqualTo(2);
  }

  @Test
  void aFailingKeyLockerSinkDoesNotFailTheOperationThatFiredIt() throws Exception {
    store.close();
    store =
        open(
            FaultyBackingStore.builder(FileBackingStore.open(image, false))
                .keyLockerSink(
                    k -> {
                      throw new IllegalStateException("platform busy");
                    }));
    store.add(step("on read keylocker backup-write-failure"));
    assertThat(readSectors(0, 1)).isEqualTo(originalSectors(0, 1));
    assertThat(store.list().getFirst().state()).isEqualTo(ArmedFault.State.DONE);
  }

  @Test
  void keyLockerStepsAreRefusedWithoutASink() throws Exception {
    FaultStep s = step("keylocker backup-write-failure");
    assertThatThrownBy(() -> store.add(s))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sink");
    Scenario sc =
        ScenarioParser.parse("klcrypt-faults 1\nerror read\nkeylocker backup-write-failure\n");
    assertThatThrownBy(() -> store.load(sc)).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.list()).as("a refused scenario arms nothing").isEmpty();
  }

  // ---- concurrency

  @Test
  void concurrentWritersSeeEitherAnInjectedErrorOrADurableWrite() throws Exception {
    store.add(step("error write rate=0.3 seed=3"));
    int threads = 4;
    int perThread = 50;
    boolean[][] failed = new boolean[threads][perThread];
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int tt = t;
      ts.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int i = 0; i < perThread; i++) {
                      long sector = tt * perThread + i;
                      FaultErrno e =
                          failure(() -> writeSectors(sector, pattern(SECTOR, (int) sector + 1000)));
                      failed[tt][i] = e != null;
                    }
                  }));
    }
    for (Thread t : ts) {
      t.join();
    }
    store.flush();
    closeAndForget();
    int failures = 0;
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        long sector = t * perThread + i;
        byte[] want =
            failed[t][i] ? originalSectors(sector, 1) : pattern(SECTOR, (int) sector + 1000);
        assertThat(fileSectors(sector, 1)).as("sector %d", sector).isEqualTo(want);
        failures += failed[t][i] ? 1 : 0;
      }
    }
    assertThat(failures).isBetween(20, 100);
  }
}
