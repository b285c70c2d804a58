package dev.klcrypt.daemon.control;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.volume.Volume;
import dev.klcrypt.blockdev.volume.VolumeInfo;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import dev.klcrypt.daemon.loop.LoopDevices;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.daemon.volumes.OpenVolumes;
import dev.klcrypt.keylocker.cpu.KeyLockerCpu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volume requests of the control protocol: {@code open}, {@code close}, {@code status}, {@code
 * list}, plus {@code ping} (is a daemon serving this socket?).
 */
public final class VolumeOperations {
  private static final Logger LOG = LoggerFactory.getLogger(VolumeOperations.class);

  /** How long {@code close} waits for the kernel to release the volume file after a loop detach. */
  static final long CLOSE_BUSY_WAIT_MILLIS = 5_000;

  private final OpenVolumes volumes;
  private final KeyLockerCpu cpu;
  private final Path mountPoint;
  private final OpenOptions openDefaults;

  /**
   * @param openDefaults what every open starts from (e.g. the KDF memory ceiling); read-only and
   *     discards are set per request
   */
  public VolumeOperations(
      OpenVolumes volumes, KeyLockerCpu cpu, Path mountPoint, OpenOptions openDefaults) {
    this.volumes = volumes;
    this.cpu = cpu;
    this.mountPoint = mountPoint;
    this.openDefaults = openDefaults;
  }

  /** Registers ping, open, close, status and list. */
  public void registerWith(ControlDispatcher dispatcher) {
    dispatcher.register(
        "ping", (request, reply) -> reply.put("pid", ProcessHandle.current().pid()));
    dispatcher.register("open", this::open);
    dispatcher.register("close", this::close);
    dispatcher.register("status", this::status);
    dispatcher.register("list", this::list);
  }

  /**
   * {@code {"op":"open","image":"/abs/img","name":"n","passphrase":"<base64>"|"keyFile":"/abs/key",
   * "allowDiscards":bool,"readOnly":bool,"loop":bool}}
   */
  void open(ControlRequest request, ObjectNode reply) throws Exception {
    String name = request.text("name");
    OpenVolumes.checkName(name);
    Path image = realImage(request.text("image"));
    volumes.checkAvailable(name, image);
    byte[] secret = request.takePassphrase();
    String keyFile = request.optionalText("keyFile");
    Passphrase passphrase;
    if (secret != null) {
      passphrase = Passphrase.fromBytes(secret); // wipes secret
    } else if (keyFile != null) {
      passphrase = Passphrase.fromFile(absolute("keyFile", keyFile));
    } else {
      throw new RequestRefusedException(Errno.EINVAL, "open needs 'passphrase' or 'keyFile'");
    }
    OpenOptions options = openOptions(request.flag("readOnly"), request.flag("allowDiscards"));
    Volume volume;
    try (passphrase) {
      volume = LuksImage.open(image, passphrase, cpu, options);
    }
    OpenVolume opened;
    try {
      opened = volumes.add(name, image, volume);
    } catch (RuntimeException refused) {
      volume.close();
      throw refused;
    }
    if (keyFile != null) {
      // the path, never the passphrase: a platform reboot reopens the volume from it
      opened.keyFile(absolute("keyFile", keyFile));
    }
    if (request.flag("loop")) {
      try {
        opened.loopDevice(LoopDevices.attach(mountPoint.resolve(name), volume.sectorSize()));
        LOG.info("attached {} to volume {}", opened.loopDevice(), name);
      } catch (IOException | RuntimeException e) {
        volumes.close(name, CLOSE_BUSY_WAIT_MILLIS);
        throw e;
      }
    }
    describe(opened, reply);
  }

  /**
   * {@code {"op":"close","name":"n"}}: detaches the loop device open --loop made, flushes, closes.
   */
  void close(ControlRequest request, ObjectNode reply) throws Exception {
    String name = request.text("name");
    OpenVolume v = volumes.get(name);
    String loop = v.loopDevice();
    if (loop != null) {
      LoopDevices.detach(loop);
      v.loopDevice(null);
      LOG.info("detached {} from volume {}", loop, name);
      reply.put("detachedLoopDevice", loop);
    }
    volumes.close(name, CLOSE_BUSY_WAIT_MILLIS);
    reply.put("name", name);
  }

  /** {@code {"op":"status","name":"n"}} */
  void status(ControlRequest request, ObjectNode reply) {
    describe(volumes.get(request.text("name")), reply);
  }

  /** {@code {"op":"list"}} */
  void list(ControlRequest request, ObjectNode reply) {
    ArrayNode all = reply.putArray("volumes");
    for (OpenVolume v : volumes.list()) {
      describe(v, all.addObject());
    }
  }

  private void describe(OpenVolume v, ObjectNode out) {
    VolumeInfo info = v.info();
    out.put("name", v.name());
    out.put("path", mountPoint.resolve(v.name()).toString());
    out.put("image", v.image().toString());
    out.put("type", info.type());
    out.put("uuid", info.uuid());
    out.put("label", info.label());
    out.put("cipher", info.cipher());
    out.put("keyBits", info.keyBits());
    out.put("sectorSize", info.sectorSize());
    out.put("offsetBytes", info.dataOffset());
    out.put("sizeBytes", info.size());
    out.put("allowDiscards", info.allowDiscards());
    out.put("readOnly", info.readOnly());
    out.put("openHandles", v.openHandles());
    out.put("openedAt", v.openedAt().toString());
    if (v.loopDevice() != null) {
      out.put("loopDevice", v.loopDevice());
    }
  }

  private OpenOptions openOptions(boolean readOnly, boolean allowDiscards) {
    return openDefaults.withReadOnly(readOnly).withAllowDiscards(allowDiscards);
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
