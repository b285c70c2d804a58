package dev.klcrypt.daemon.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.fault.ArmedFault;
import dev.klcrypt.blockdev.fault.FaultCounters;
import dev.klcrypt.blockdev.fault.FaultKind;
import dev.klcrypt.blockdev.fault.FaultStep;
import dev.klcrypt.blockdev.fault.FaultyBackingStore;
import dev.klcrypt.blockdev.fault.KeyLockerFaultSpec;
import dev.klcrypt.blockdev.fault.Scenario;
import dev.klcrypt.blockdev.fault.ScenarioFormatException;
import dev.klcrypt.blockdev.fault.ScenarioParser;
import dev.klcrypt.blockdev.fault.Trigger;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.store.BackingStore;
import dev.klcrypt.blockdev.store.FileBackingStore;
import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.daemon.DaemonContext;
import dev.klcrypt.daemon.DaemonExtension;
import dev.klcrypt.daemon.config.AuditLog;
import dev.klcrypt.daemon.control.ControlRequest;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import dev.klcrypt.daemon.loop.LoopDevices;
import dev.klcrypt.daemon.metrics.MetricsExtension;
import dev.klcrypt.daemon.power.PowerExtension;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.daemon.volumes.OpenVolumes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fault-injection harness in the daemon (docs/FAULTS.md): {@code fault-open} serves a volume
 * over a {@link FaultyBackingStore}; {@code fault-add}, {@code fault-list} and {@code fault-clear}
 * arm, show and disarm steps on such a volume, or Key Locker faults on the platform. A timer fires
 * due time-triggered steps on idle volumes and turns every injection into a metric count.
 */
public final class FaultExtension implements DaemonExtension {
  private static final Logger LOG = LoggerFactory.getLogger(FaultExtension.class);
  private static final long TICK_MILLIS = 100;
  private static final long CLOSE_BUSY_WAIT_MILLIS = 5_000;

  private DaemonContext context;
  private KeyLockerFaults keyLocker;
  private Consumer<String> counted = kind -> {};
  private final Map<OpenVolume, FaultCounters> lastCounted = new ConcurrentHashMap<>();
  private ScheduledExecutorService timer;

  @Override
  public void started(DaemonContext context) {
    this.context = context;
    context
        .extension(MetricsExtension.class)
        .ifPresent(m -> counted = kind -> m.metrics().faultInjected(kind));
    keyLocker = new KeyLockerFaults(context.platform(), kind -> counted.accept(kind));
    context
        .extension(PowerExtension.class)
        .ifPresent(p -> p.power().faultStores(store -> faultStore(store, "volume")));
    context.control().register("fault-open", this::open);
    context.control().register("fault-add", this::add);
    context.control().register("fault-list", this::list);
    context.control().register("fault-clear", this::clear);
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "klcrypt-fault-timer");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void stopping(DaemonContext context) {
    if (timer != null) {
      timer.shutdownNow();
    }
  }

  private FaultyBackingStore faultStore(BackingStore base, String target) {
    return FaultyBackingStore.builder(base)
        .keyLockerSink(spec -> keyLocker.apply(spec, target))
        .build();
  }

  /** Fires due time triggers and counts new injections, volume by volume. */
  private void tick() {
    try {
      for (OpenVolume v : context.volumes().list()) {
        FaultyBackingStore store = v.faults();
        if (store == null) {
          continue;
        }
        try {
          store.fireDueSteps();
        } catch (RuntimeException e) {
          LOG.warn("firing due fault steps on volume {} failed: {}", v.name(), e.toString());
        }
        countInjections(v, store);
      }
      lastCounted.keySet().removeIf(v -> context.volumes().find(v.name()).orElse(null) != v);
    } catch (RuntimeException e) {
      LOG.error("fault timer: {}", e.toString());
    }
  }

  private synchronized void countInjections(OpenVolume v, FaultyBackingStore store) {
    FaultCounters now = store.counters();
    FaultCounters before = lastCounted.put(v, now);
    for (FaultKind kind : FaultKind.values()) {
      if (kind == FaultKind.KEYLOCKER) {
        continue; // counted when the platform carries it out
      }
      long delta = now.injections(kind) - (before == null ? 0 : before.injections(kind));
      for (long i = 0; i < Math.min(delta, 1_000_000); i++) {
        counted.accept(kind.tag());
      }
    }
  }

  /**
   * {@code {"op":"fault-open","image":"/abs","name":"n","keyFile":"/abs"|passphrase,
   * "readOnly":bool,"allowDiscards":bool,"loop":bool}}: like {@code open}, over a fault store.
   */
  void open(ControlRequest request, ObjectNode reply) throws Exception {
    OpenVolumes volumes = context.volumes();
    String name = request.text("name");
    OpenVolumes.checkName(name);
    Path image = realImage(request.text("image"));
    volumes.checkAvailable(name, image);
    byte[] secret = request.takePassphrase();
    String keyFileText = request.optionalText("keyFile");
    Path keyFile = null;
    Passphrase passphrase;
    if (secret != null) {
      passphrase = Passphrase.fromBytes(secret); // wipes secret
    } else if (keyFileText != null) {
      keyFile = absolute("keyFile", keyFileText);
      passphrase = Passphrase.fromFile(keyFile);
    } else {
      throw new RequestRefusedException(Errno.EINVAL, "open needs 'passphrase' or 'keyFile'");
    }
    boolean readOnly = request.flag("readOnly");
    OpenOptions options =
        OpenOptions.defaults()
            .withReadOnly(readOnly)
            .withAllowDiscards(request.flag("allowDiscards"));
    FaultyBackingStore store = faultStore(FileBackingStore.open(image, readOnly), name);
    Volume volume;
    try (passphrase) {
      volume = LuksImage.open(store, passphrase, context.platform().cpu(), options);
    } catch (Exception | Error e) {
      store.close();
      throw e;
    }
    OpenVolume opened;
    try {
      opened = volumes.add(name, image, volume);
    } catch (RuntimeException refused) {
      volume.close();
      throw refused;
    }
    opened.faults(store);
    opened.keyFile(keyFile);
    if (request.flag("loop")) {
      try {
        opened.loopDevice(
            LoopDevices.attach(context.volumesMountPoint().resolve(name), volume.sectorSize()));
        reply.put("loopDevice", opened.loopDevice());
      } catch (IOException | RuntimeException e) {
        volumes.close(name, CLOSE_BUSY_WAIT_MILLIS);
        throw e;
      }
    }
    reply.put("name", name);
    reply.put("path", context.volumesMountPoint().resolve(name).toString());
    reply.put("faultInjection", true);
  }

  /**
   * {@code {"op":"fault-add","volume":"n"?,"args":["after","3","writes","powercut"]}} or {@code
   * {"op":"fault-add","volume":"n"?,"file":"/abs/scenario"}}: arms steps, replies their ids.
   */
  void add(ControlRequest request, ObjectNode reply) throws IOException {
    String volumeName = request.optionalText("volume");
    String file = request.optionalText("file");
    ArrayNode ids = reply.putArray("ids");
    if (file != null) {
      Path path = absolute("file", file);
      Scenario scenario;
      try {
        scenario = ScenarioParser.parseFile(path);
      } catch (ScenarioFormatException e) {
        throw new RequestRefusedException(Errno.EINVAL, path + ": " + e.getMessage());
      }
      if (volumeName == null) {
        List<List<String>> lines = new ArrayList<>();
        for (Scenario.Line line : scenario.steps()) {
          if (!(line.step().fault() instanceof KeyLockerFaultSpec spec)) {
            throw new RequestRefusedException(
                Errno.EINVAL, path + ": line " + line.number() + ": block faults need --volume");
          }
          if (!(line.step().trigger() instanceof Trigger.Now)) {
            throw new RequestRefusedException(
                Errno.EINVAL,
                path
                    + ": line "
                    + line.number()
                    + ": without --volume a Key Locker step takes effect now; give --volume to"
                    + " trigger it on a volume's operations");
          }
          lines.add(
              List.of(("keylocker " + spec.text().replaceFirst("^keylocker ", "")).split(" ")));
        }
        for (List<String> words : lines) {
          reply.withArray("applied").add(keyLocker.applyNow(words));
        }
        return;
      }
      FaultyBackingStore store = faultStoreOf(volumeName);
      for (long id : store.load(scenario)) {
        ids.add(id);
      }
      for (Scenario.Line line : scenario.steps()) {
        AuditLog.faultInjected("armed: " + line.step().text(), volumeName);
      }
      LOG.info("volume {}: armed {} steps from {}", volumeName, scenario.steps().size(), path);
      return;
    }
    JsonNode argsNode = request.fields().path("args");
    if (!argsNode.isArray() || argsNode.isEmpty()) {
      throw new RequestRefusedException(Errno.EINVAL, "fault-add needs 'args' or 'file'");
    }
    List<String> args = new ArrayList<>();
    argsNode.forEach(a -> args.add(a.asText()));
    List<String> step = withKeyLockerWord(args);
    if (volumeName == null) {
      reply.withArray("applied").add(keyLocker.applyNow(step));
      return;
    }
    FaultStep parsed;
    try {
      parsed = ScenarioParser.parseStep(step);
    } catch (ScenarioFormatException e) {
      throw new RequestRefusedException(Errno.EINVAL, e.getMessage());
    }
    long id = faultStoreOf(volumeName).add(parsed);
    ids.add(id);
    AuditLog.faultInjected("armed: " + parsed.text(), volumeName);
    reply.put("step", parsed.text());
  }

  /** {@code restore-failure ...} is short for {@code keylocker restore-failure ...}. */
  private static List<String> withKeyLockerWord(List<String> args) {
    int kindAt = !args.isEmpty() && args.getFirst().equals("now") ? 1 : 0;
    if (args.size() > kindAt
        && List.of(
                "restore-failure",
                "backup-write-failure",
                "iwkey-replaced-without-backup",
                "entropy-failure",
                "no-backup-support",
                "nobackup-iwkey")
            .contains(args.get(kindAt))) {
      List<String> out = new ArrayList<>(args.subList(0, kindAt));
      out.add("keylocker");
      out.addAll(args.subList(kindAt, args.size()));
      return out;
    }
    return args;
  }

  /** {@code {"op":"fault-list","volume":"n"?}} */
  void list(ControlRequest request, ObjectNode reply) {
    String volumeName = request.optionalText("volume");
    ArrayNode platformFaults = reply.putArray("platform");
    context.platform().armedFaults().stream()
        .map(f -> f.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
        .sorted()
        .forEach(platformFaults::add);
    ArrayNode volumesNode = reply.putArray("volumes");
    for (OpenVolume v : context.volumes().list()) {
      if (v.faults() == null || (volumeName != null && !volumeName.equals(v.name()))) {
        continue;
      }
      FaultyBackingStore store = v.faults();
      store.fireDueSteps();
      ObjectNode out = volumesNode.addObject();
      out.put("name", v.name());
      out.put("poweredOff", store.poweredOff());
      out.put("unflushedBytes", store.unflushedBytes());
      ArrayNode steps = out.putArray("faults");
      for (ArmedFault a : store.list()) {
        steps
            .addObject()
            .put("id", a.id())
            .put("state", a.state().name().toLowerCase(java.util.Locale.ROOT))
            .put("injections", a.injections())
            .put("step", a.step());
      }
      ObjectNode counters = out.putObject("injections");
      FaultCounters c = store.counters();
      for (FaultKind k : FaultKind.values()) {
        counters.put(k.tag(), c.injections(k));
      }
      out.put("powerCutLostBytes", c.powerCutLostBytes());
    }
    if (volumeName != null && volumesNode.isEmpty()) {
      faultStoreOf(volumeName); // refuses with the reason
    }
  }

  /** {@code {"op":"fault-clear","volume":"n"?,"id":N?}} */
  void clear(ControlRequest request, ObjectNode reply) {
    String volumeName = request.optionalText("volume");
    JsonNode id = request.fields().path("id");
    if (volumeName == null) {
      context.platform().clearFaults();
      AuditLog.faultCleared("keylocker-all", "platform");
      reply.put("cleared", "platform");
      return;
    }
    FaultyBackingStore store = faultStoreOf(volumeName);
    if (id.isIntegralNumber()) {
      if (!store.remove(id.asLong())) {
        throw new RequestRefusedException(
            Errno.ENOENT, "volume " + volumeName + " has no armed fault " + id.asLong());
      }
      AuditLog.faultCleared("id " + id.asLong(), volumeName);
      reply.put("cleared", id.asLong());
      return;
    }
    store.clear();
    AuditLog.faultCleared("all", volumeName);
    reply.put("cleared", "all");
  }

  private FaultyBackingStore faultStoreOf(String volumeName) {
    OpenVolume v = context.volumes().get(volumeName);
    if (v.faults() == null) {
      throw new RequestRefusedException(
          Errno.EINVAL,
          "volume "
              + volumeName
              + " was opened without fault injection; open it with 'klcrypt open"
              + " --fault-injection' to arm block faults");
    }
    return v.faults();
  }

  private static Path realImage(String image) throws IOException {
    Path p = absolute("image", image);
    if (!Files.isRegularFile(p)) {
      throw new RequestRefusedException(Errno.ENOENT, "image " + p + " is not a regular file");
    }
    return p.toRealPath();
  }

  private static Path absolute(String field, String path) {
    Path p = Path.of(path);
    if (!p.isAbsolute()) {
      throw new RequestRefusedException(
          Errno.EINVAL, "field '" + field + "' must be an absolute path");
    }
    return p;
  }
}
