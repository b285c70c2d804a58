package dev.klcrypt.blockdev.fault;

import dev.klcrypt.blockdev.BackingStoreIoException;
import dev.klcrypt.blockdev.store.BackingStore;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A {@link BackingStore} decorator that injects faults, like nbdkit's error filter over the
 * device-mapper test targets (dm-dust, dm-flakey, dm-delay) plus LazyFS's power cut. Faults are
 * armed at run time ({@link #add}, {@link #load}) and removed with {@link #remove} or {@link
 * #clear}; all methods are thread-safe.
 *
 * <p><b>Volatile write cache.</b> Writes and discards since the last flush are held in memory and
 * reach the wrapped store only on {@link #flush()}; reads see them. A {@link PowerCut} forgets
 * them, so the wrapped file holds exactly the flushed state, and stays correct even if the process
 * dies (the file never held unflushed data). The cache is bounded ({@link
 * Builder#cacheCapacityBytes}); when full it is written back without fsync, like a real disk's
 * cache, those writes then survive a power cut, and {@link FaultCounters#cacheWritebacks()} counts
 * it. {@link #close()} writes the cache back (a clean shutdown) unless the power is off.
 *
 * <p><b>Order per operation:</b> fire due triggers (power cuts, clears and Key Locker faults happen
 * before the operation); refuse with ENXIO if powered off; sleep for matching delays; flakey down
 * interval; error rules; drop rules; then the operation, with write corruption applied to a copy of
 * the caller's bytes and read corruption applied to the caller's buffer after the read. The
 * caller's source buffer is never modified.
 *
 * <p>Triggers and flakey intervals use the builder's nanosecond clock (tests pass a manual one);
 * delays sleep in real time. Each injection is logged on the {@code klcrypt.fault} logger (offsets
 * and lengths, never data) and counted in {@link #counters()}. Injected errors are {@link
 * BackingStoreIoException}s whose cause is an {@link InjectedFaultException} carrying the errno.
 */
public final class FaultyBackingStore implements BackingStore {
  private static final System.Logger LOG = System.getLogger("klcrypt.fault");
  private static final long SEED_MIX = 0x9E3779B97F4A7C15L;

  private final BackingStore base;
  private final VolatileWriteCache cache;
  private final LongSupplier nanoClock;
  private final Consumer<KeyLockerFaultSpec> keyLocker;
  private final long defaultSeed;
  private final CopyOnWriteArrayList<Armed> armed = new CopyOnWriteArrayList<>();
  private final AtomicLong nextId = new AtomicLong(1);
  private final AtomicLongArray counts = new AtomicLongArray(FaultKind.values().length);
  private final AtomicLong lostBytes = new AtomicLong();
  private final AtomicReference<PowerCut.AfterCut> powerOff = new AtomicReference<>();

  private FaultyBackingStore(Builder b) {
    this.base = b.base;
    this.cache = new VolatileWriteCache(b.base, b.cacheCapacityBytes, !b.volatileCache);
    this.nanoClock = b.nanoClock;
    this.keyLocker = b.keyLocker;
    this.defaultSeed = b.seed.orElseGet(() -> System.nanoTime() * SEED_MIX);
    if (b.seed.isEmpty()) {
      LOG.log(Level.INFO, () -> "fault store over " + base + " uses seed " + defaultSeed);
    }
  }

  /**
   * Wraps {@code base} with defaults (system clock, 64 MiB cache, no Key Locker sink, a seed chosen
   * now).
   */
  public static FaultyBackingStore wrap(BackingStore base) {
    return builder(base).build();
  }

  /** Starts a builder over {@code base}. */
  public static Builder builder(BackingStore base) {
    return new Builder(base);
  }

  /** Options of a {@link FaultyBackingStore}. */
  public static final class Builder {
    private final BackingStore base;
    private LongSupplier nanoClock = System::nanoTime;
    private long cacheCapacityBytes = 64L << 20;
    private boolean volatileCache = true;
    private Consumer<KeyLockerFaultSpec> keyLocker;
    private OptionalLong seed = OptionalLong.empty();

    private Builder(BackingStore base) {
      this.base = Objects.requireNonNull(base, "base");
    }

    /**
     * Monotonic nanosecond clock for triggers and flakey intervals (default {@link
     * System#nanoTime()}).
     */
    public Builder nanoClock(LongSupplier clock) {
      this.nanoClock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Most unflushed bytes held before a forced write-back (default 64 MiB, at least one 4 KiB
     * page).
     */
    public Builder cacheCapacityBytes(long bytes) {
      if (bytes < VolatileWriteCache.PAGE) {
        throw new IllegalArgumentException("cache capacity " + bytes + " is below one page");
      }
      this.cacheCapacityBytes = bytes;
      return this;
    }

    /**
     * Whether unflushed writes are held in the volatile cache (default true). Without it every
     * operation goes straight to the wrapped store, nothing is lost on a crash that a plain file
     * would keep, and power-cut steps are refused; error, flakey, drop, corrupt and delay rules
     * work the same.
     */
    public Builder volatileCache(boolean enabled) {
      this.volatileCache = enabled;
      return this;
    }

    /**
     * Where Key Locker steps go when they fire; without one, arming a Key Locker step is refused.
     * The sink runs on the thread of the operation (or {@link #fireDueSteps()} call) that fired the
     * step, so it should hand the fault off rather than block; if it throws, the failure is logged
     * and the operation goes on.
     */
    public Builder keyLockerSink(Consumer<KeyLockerFaultSpec> sink) {
      this.keyLocker = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /**
     * Seed for random rules armed without their own seed or a scenario seed (default: chosen and
     * logged).
     */
    public Builder seed(long seed) {
      this.seed = OptionalLong.of(seed);
      return this;
    }

    public FaultyBackingStore build() {
      return new FaultyBackingStore(this);
    }
  }

  // ---- arming

  /** Arms one step now (time triggers count from now); returns its id. */
  public long add(FaultStep step) {
    long id = nextId.getAndIncrement();
    return arm(id, step, nanoClock.getAsLong(), mix(defaultSeed, id), "added");
  }

  /**
   * Arms every step of a scenario with one common start time, so {@code at} triggers count from
   * this call. Random rules without their own seed get the scenario's seed mixed with the step's
   * index (or the store's seed if the scenario has none), so a scenario with a seed replays
   * identically. Returns the ids in step order.
   */
  public List<Long> load(Scenario scenario) {
    long start = nanoClock.getAsLong();
    long base = scenario.seed().orElse(defaultSeed);
    List<FaultStep> steps = scenario.faultSteps();
    for (FaultStep s : steps) {
      checkArmable(s);
    }
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      long id = nextId.getAndIncrement();
      ids.add(
          arm(id, steps.get(i), start, mix(base, i + 1), "loaded from scenario step " + (i + 1)));
    }
    return List.copyOf(ids);
  }

  /** Disarms one step; false if no such id. */
  public boolean remove(long id) {
    boolean removed = armed.removeIf(a -> a.id == id);
    if (removed) {
      LOG.log(Level.INFO, () -> "fault " + id + " removed");
    }
    return removed;
  }

  /** Disarms every step and restores power (the control plane's {@code fault clear}). */
  public void clear() {
    armed.clear();
    PowerCut.AfterCut was = powerOff.getAndSet(null);
    LOG.log(
        Level.INFO,
        () -> "all faults cleared" + (was == PowerCut.AfterCut.OFF ? ", power restored" : ""));
  }

  /** Every armed step, in arming order, including spent ones. */
  public List<ArmedFault> list() {
    fireDue(null);
    return armed.stream().map(Armed::view).toList();
  }

  /** Injections so far. */
  public FaultCounters counters() {
    Map<FaultKind, Long> m = new EnumMap<>(FaultKind.class);
    for (FaultKind k : FaultKind.values()) {
      m.put(k, counts.get(k.ordinal()));
    }
    return new FaultCounters(m, lostBytes.get(), cache.writebacks());
  }

  /** Bytes written or discarded since the last flush (what a power cut now would lose). */
  public long unflushedBytes() {
    return cache.dirtyBytes();
  }

  /**
   * Whether a power cut has switched the store off (until {@link #clear()} or {@link
   * #restorePower()}).
   */
  public boolean poweredOff() {
    return powerOff.get() == PowerCut.AfterCut.OFF;
  }

  /** Switches the store back on after a power cut; the unflushed writes stay lost. */
  public void restorePower() {
    if (powerOff.getAndSet(null) != null) {
      LOG.log(Level.INFO, () -> "power restored");
    }
  }

  /** Cuts the power now, as a {@code now powercut} step would. Returns the bytes lost. */
  public long powerCut(PowerCut.AfterCut then) {
    if (cache.passThrough()) {
      throw new IllegalStateException("this store has no volatile write cache to lose");
    }
    return doPowerCut(0, then);
  }

  /**
   * Fires steps whose time trigger is due without waiting for the next operation; the daemon may
   * call this from a timer so that {@code at} Key Locker faults happen on time on an idle volume.
   */
  public void fireDueSteps() {
    fireDue(null);
  }

  private void checkArmable(FaultStep step) {
    if (step.fault() instanceof PowerCut && cache.passThrough()) {
      throw new IllegalArgumentException(
          "this store has no volatile write cache, so '" + step.text() + "' cannot be armed here");
    }
    if (step.fault() instanceof KeyLockerFaultSpec && keyLocker == null) {
      throw new IllegalArgumentException(
          "this store has no Key Locker sink, so '" + step.text() + "' cannot be armed here");
    }
  }

  private long arm(long id, FaultStep step, long start, long mixedSeed, String how) {
    checkArmable(step);
    FaultStep resolved = withSeed(step, mixedSeed);
    Armed a = new Armed(id, resolved, start);
    armed.add(a);
    LOG.log(Level.INFO, () -> "fault " + id + " " + how + ": " + resolved.text());
    if (resolved.trigger() instanceof Trigger.Now) {
      fire(a, start);
    }
    return id;
  }

  private static FaultStep withSeed(FaultStep step, long seed) {
    FaultSpec f = step.fault();
    FaultSpec seeded =
        switch (f) {
          case ErrorRule e when e.seed().isEmpty() && e.rate() < 1.0 ->
              new ErrorRule(
                  e.op(), e.range(), e.errno(), e.rate(), OptionalLong.of(seed), e.times());
          case CorruptRule c when c.seed().isEmpty() ->
              new CorruptRule(
                  c.op(), c.range(), c.bytes(), c.rate(), OptionalLong.of(seed), c.times());
          default -> f;
        };
    return new FaultStep(step.trigger(), seeded);
  }

  private static long mix(long seed, long salt) {
    long z = seed + salt * SEED_MIX;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  // ---- BackingStore

  @Override
  public long size() {
    return base.size();
  }

  @Override
  public boolean readOnly() {
    return base.readOnly();
  }

  @Override
  public void read(long offset, ByteBuffer dst) {
    int len = dst.remaining();
    int pos0 = dst.position();
    Plan plan = before(BlockOp.READ, offset, len);
    cache.read(offset, dst);
    for (Armed a : plan.corrupt()) {
      corruptInPlace(a, BlockOp.READ, offset, dst, pos0, len);
    }
  }

  @Override
  public void write(long offset, ByteBuffer src) {
    if (base.readOnly()) {
      throw new BackingStoreIoException(
          "write at offset " + offset + " to a read-only backing store");
    }
    int len = src.remaining();
    Plan plan = before(BlockOp.WRITE, offset, len);
    if (plan.drop()) {
      src.position(src.limit());
      return;
    }
    if (plan.corrupt().isEmpty()) {
      cache.write(offset, src);
      return;
    }
    ByteBuffer copy = ByteBuffer.allocate(len);
    copy.put(src.duplicate()).flip();
    for (Armed a : plan.corrupt()) {
      corruptInPlace(a, BlockOp.WRITE, offset, copy, 0, len);
    }
    cache.write(offset, copy);
    src.position(src.limit());
  }

  @Override
  public void flush() {
    if (before(BlockOp.FLUSH, 0, 0).drop()) {
      return;
    }
    cache.flush();
  }

  @Override
  public void discard(long offset, long length) {
    if (base.readOnly()) {
      throw new BackingStoreIoException(
          "discard at offset " + offset + " on a read-only backing store");
    }
    if (before(BlockOp.DISCARD, offset, length).drop()) {
      return;
    }
    cache.discard(offset, length);
  }

  /** Writes the volatile cache back (unless the power is off) and closes the wrapped store. */
  @Override
  public void close() {
    try {
      if (powerOff.get() != PowerCut.AfterCut.OFF) {
        cache.writeBack();
      }
    } finally {
      base.close();
    }
  }

  @Override
  public String toString() {
    return "FaultyBackingStore[" + base + ", " + armed.size() + " armed]";
  }

  // ---- per-operation logic

  /**
   * What to do with one operation: acknowledge without doing it, or do it with these corrupt rules
   * applied.
   */
  private record Plan(boolean drop, List<Armed> corrupt) {}

  private static final Plan DROP = new Plan(true, List.of());
  private static final Plan PROCEED = new Plan(false, List.of());

  /**
   * Runs triggers and rules for one operation (may throw the injected error) and says how to carry
   * it out.
   */
  private Plan before(BlockOp op, long offset, long length) {
    long now = fireDue(op);
    if (powerOff.get() == PowerCut.AfterCut.OFF) {
      count(FaultKind.POWERED_OFF);
      LOG.log(
          Level.DEBUG,
          () ->
              op.token() + " at offset " + offset + " length " + length + " refused: powered off");
      throw injected(
          0, FaultErrno.ENXIO, op, offset, length, "the store is powered off after a power cut");
    }
    long delayNanos = 0;
    for (Armed a : armed) {
      if (a.state() == ArmedFault.State.ACTIVE
          && a.step.fault() instanceof DelayRule d
          && d.applies(op, offset, length)
          && a.consume()) {
        delayNanos += d.delay().toNanos();
        count(FaultKind.DELAY);
        LOG.log(
            Level.DEBUG,
            () ->
                "fault "
                    + a.id
                    + ": delay "
                    + d.delay().toMillis()
                    + "ms on "
                    + op.token()
                    + " at offset "
                    + offset
                    + " length "
                    + length);
      }
    }
    if (delayNanos > 0) {
      sleep(delayNanos);
    }
    boolean drop = false;
    for (Armed a : armed) {
      if (a.state() == ArmedFault.State.ACTIVE && a.step.fault() instanceof FlakeyRule f) {
        if (f.isDown(now - a.activatedAt)) {
          if (f.whenDown() == FlakeyRule.DownBehaviour.ERROR) {
            a.injections.incrementAndGet();
            count(FaultKind.FLAKEY);
            logInjection(a, "flakey down: error " + f.errno(), op, offset, length);
            throw injected(a.id, f.errno(), op, offset, length, "flakey down interval");
          }
          if (op == BlockOp.WRITE || op == BlockOp.DISCARD) {
            a.injections.incrementAndGet();
            count(FaultKind.FLAKEY);
            logInjection(a, "flakey down: dropped", op, offset, length);
            drop = true;
          }
        }
      }
    }
    for (Armed a : armed) {
      if (a.state() == ArmedFault.State.ACTIVE
          && a.step.fault() instanceof ErrorRule e
          && e.applies(op, offset, length)
          && a.draw(e.rate())
          && a.consume()) {
        count(FaultKind.ERROR);
        logInjection(a, "error " + e.errno(), op, offset, length);
        throw injected(a.id, e.errno(), op, offset, length, "injected error");
      }
    }
    for (Armed a : armed) {
      if (!drop
          && a.state() == ArmedFault.State.ACTIVE
          && a.step.fault() instanceof DropWritesRule d
          && d.applies(op, offset, length)
          && a.consume()) {
        count(FaultKind.DROP);
        logInjection(a, "dropped", op, offset, length);
        drop = true;
      }
    }
    if (drop) {
      return DROP;
    }
    if (op != BlockOp.READ && op != BlockOp.WRITE) {
      return PROCEED;
    }
    List<Armed> corrupt = new ArrayList<>(0);
    for (Armed a : armed) {
      if (a.state() == ArmedFault.State.ACTIVE
          && a.step.fault() instanceof CorruptRule c
          && c.applies(op, offset, length)
          && a.draw(c.rate())
          && a.consume()) {
        corrupt.add(a);
      }
    }
    return corrupt.isEmpty() ? PROCEED : new Plan(false, corrupt);
  }

  /**
   * Advances triggers for an operation ({@code op} null: time triggers only) and fires the due
   * ones.
   */
  private long fireDue(BlockOp op) {
    long now = nanoClock.getAsLong();
    for (Armed a : armed) {
      if (a.state() != ArmedFault.State.PENDING) {
        continue;
      }
      boolean due =
          switch (a.step.trigger()) {
            case Trigger.Now unused -> true;
            case Trigger.At at -> now - a.armedAt >= at.delay().toNanos();
            case Trigger.After after ->
                op != null && after.op().matches(op) && a.seen.incrementAndGet() > after.count();
            case Trigger.On on -> op != null && on.op().matches(op);
          };
      if (due) {
        // a time-triggered rule starts when it was due, not when an operation noticed it (flakey
        // cycles line up)
        fire(a, a.step.trigger() instanceof Trigger.At at ? a.armedAt + at.delay().toNanos() : now);
      }
    }
    return now;
  }

  private void fire(Armed a, long now) {
    if (!a.activate(now)) {
      return;
    }
    FaultSpec f = a.step.fault();
    if (!f.oneShot()) {
      LOG.log(Level.INFO, () -> "fault " + a.id + " in effect: " + f.text());
      return;
    }
    a.injections.incrementAndGet();
    a.finish();
    switch (f) {
      case PowerCut p -> doPowerCut(a.id, p.then());
      case ClearFaults unused -> {
        int ended = 0;
        for (Armed other : armed) {
          if (other != a && other.state() == ArmedFault.State.ACTIVE) {
            other.finish();
            ended++;
          }
        }
        int n = ended;
        LOG.log(Level.INFO, () -> "fault " + a.id + ": clear ended " + n + " rule(s)");
      }
      case KeyLockerFaultSpec k -> {
        count(FaultKind.KEYLOCKER);
        LOG.log(
            Level.INFO,
            () -> "fault " + a.id + ": Key Locker fault handed to the platform: " + k.text());
        try {
          keyLocker.accept(k);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "fault " + a.id + ": the Key Locker sink failed", e);
        }
      }
      default -> throw new IllegalStateException("not an action: " + f.text());
    }
  }

  private long doPowerCut(long id, PowerCut.AfterCut then) {
    long lost = cache.dropAll();
    lostBytes.addAndGet(lost);
    count(FaultKind.POWER_CUT);
    if (then == PowerCut.AfterCut.OFF) {
      powerOff.set(PowerCut.AfterCut.OFF);
    }
    LOG.log(
        Level.INFO,
        () ->
            "fault "
                + id
                + ": power cut, "
                + lost
                + " unflushed bytes lost, store "
                + (then == PowerCut.AfterCut.OFF ? "off" : "continues"));
    return lost;
  }

  private void corruptInPlace(Armed a, BlockOp op, long offset, ByteBuffer buf, int pos0, int len) {
    CorruptRule c = (CorruptRule) a.step.fault();
    long from = Math.max(offset, c.range().startByte());
    long to = Math.min(offset + len, c.range().endByte());
    if (to <= from) {
      return;
    }
    int span = (int) (to - from);
    int n = Math.min(c.bytes(), span);
    int[] positions = new int[n];
    int[] xors = new int[n];
    synchronized (a) {
      // distinct positions (Floyd's sampling) so that no byte is XORed back to its old value
      java.util.BitSet picked = new java.util.BitSet(span);
      for (int j = span - n, k = 0; j < span; j++, k++) {
        int t = a.rng.nextInt(j + 1);
        int p = picked.get(t) ? j : t;
        picked.set(p);
        positions[k] = p;
        xors[k] = 1 + a.rng.nextInt(255);
      }
    }
    int base = pos0 + (int) (from - offset);
    for (int k = 0; k < n; k++) {
      int i = base + positions[k];
      buf.put(i, (byte) (buf.get(i) ^ xors[k]));
    }
    count(FaultKind.CORRUPT);
    LOG.log(
        Level.INFO,
        () ->
            "fault "
                + a.id
                + ": corrupted "
                + n
                + " byte(s) of "
                + op.token()
                + " at offset "
                + offset
                + " length "
                + len
                + " (within bytes "
                + from
                + ".."
                + (to - 1)
                + ")");
  }

  private void count(FaultKind kind) {
    counts.incrementAndGet(kind.ordinal());
  }

  private static void logInjection(Armed a, String what, BlockOp op, long offset, long length) {
    LOG.log(
        Level.INFO,
        () ->
            "fault "
                + a.id
                + ": "
                + what
                + " on "
                + op.token()
                + " at offset "
                + offset
                + " length "
                + length);
  }

  private static BackingStoreIoException injected(
      long id, FaultErrno errno, BlockOp op, long offset, long length, String why) {
    String msg =
        why + " (" + errno + ") on " + op.token() + " at offset " + offset + " length " + length;
    return new BackingStoreIoException(
        "fault " + id + ": " + msg, new InjectedFaultException(errno, id, msg));
  }

  private static void sleep(long nanos) {
    long deadline = System.nanoTime() + nanos;
    long left = nanos;
    while (left > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(left);
      } catch (InterruptedException e) {
        // cut the injected delay short, keep the interrupt for the caller
        Thread.currentThread().interrupt();
        return;
      }
      left = deadline - System.nanoTime();
    }
  }

  // ---- one armed step

  private static final class Armed {
    final long id;
    final FaultStep step;
    final long armedAt;
    final AtomicLong seen = new AtomicLong();
    final AtomicLong injections = new AtomicLong();
    final AtomicReference<ArmedFault.State> state = new AtomicReference<>(ArmedFault.State.PENDING);
    final AtomicLong budget;
    final SplittableRandom rng;
    volatile long activatedAt;

    Armed(long id, FaultStep step, long armedAt) {
      this.id = id;
      this.step = step;
      this.armedAt = armedAt;
      long times =
          switch (step.fault()) {
            case ErrorRule e -> e.times();
            case DropWritesRule d -> d.times();
            case CorruptRule c -> c.times();
            case DelayRule d -> d.times();
            default -> 0;
          };
      this.budget = new AtomicLong(times == 0 ? Long.MAX_VALUE : times);
      OptionalLong seed =
          switch (step.fault()) {
            case ErrorRule e -> e.seed();
            case CorruptRule c -> c.seed();
            default -> OptionalLong.empty();
          };
      this.rng = new SplittableRandom(seed.orElse(id));
    }

    ArmedFault.State state() {
      return state.get();
    }

    synchronized boolean activate(long now) {
      if (state.get() != ArmedFault.State.PENDING) {
        return false;
      }
      activatedAt = now; // written before the state, so whoever sees ACTIVE sees the start time
      state.set(ArmedFault.State.ACTIVE);
      return true;
    }

    void finish() {
      state.set(ArmedFault.State.DONE);
    }

    /** Whether an operation is hit at {@code rate}. */
    boolean draw(double rate) {
      if (rate >= 1.0) {
        return true;
      }
      synchronized (this) {
        return rng.nextDouble() < rate;
      }
    }

    /** Takes one injection from the budget; false (and spent) when none is left. */
    boolean consume() {
      long left = budget.getAndDecrement();
      if (left <= 0) {
        budget.incrementAndGet();
        finish();
        return false;
      }
      injections.incrementAndGet();
      if (left == 1) {
        finish();
      }
      return true;
    }

    ArmedFault view() {
      return new ArmedFault(id, step.text(), state(), injections.get());
    }
  }
}
