package dev.klcrypt.daemon.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.daemon.Daemon;
import dev.klcrypt.daemon.notify.NotifySocketReceiver;
import dev.klcrypt.daemon.volumes.OpenVolume;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The volume table served by a real daemon: FUSE mount, emulated platform, LUKS2 images with key
 * files.
 */
class VolumeTableExtensionTest {
  @TempDir Path dir;
  private Path config;

  private Path image(String name) throws Exception {
    Path image = dir.resolve(name + ".img");
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.setLength(24L << 20);
    }
    return image;
  }

  /** A LUKS2 image whose passphrase is the content of {@code name}.key. */
  private Path luksImage(String name, String passphrase) throws Exception {
    Path image = image(name);
    Path key = dir.resolve(name + ".key");
    Files.writeString(key, passphrase);
    try (EmulatedPlatform formatter =
            EmulatedPlatform.boot(PlatformConfig.defaults(dir.resolve("formatter")));
        Passphrase p = Passphrase.fromBytes(passphrase.getBytes(StandardCharsets.UTF_8))) {
      LuksImage.format(
          image, FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)), p, formatter.cpu());
    }
    return image;
  }

  /** Every event of the whole test at DEBUG, on every logger, formatted as it would be written. */
  private final List<String> debugLog = new java.util.concurrent.CopyOnWriteArrayList<>();

  private ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> capture;
  private ch.qos.logback.classic.Level rootLevel;

  @BeforeEach
  void captureDebugLog() {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    rootLevel = root.getLevel();
    root.setLevel(ch.qos.logback.classic.Level.DEBUG);
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.klcrypt"))
        .setLevel(ch.qos.logback.classic.Level.DEBUG);
    capture =
        new ch.qos.logback.core.AppenderBase<>() {
          @Override
          protected void append(ch.qos.logback.classic.spi.ILoggingEvent e) {
            StringBuilder line =
                new StringBuilder(e.getLoggerName()).append(' ').append(e.getFormattedMessage());
            if (e.getKeyValuePairs() != null) {
              line.append(" | kv");
              e.getKeyValuePairs()
                  .forEach(kv -> line.append(' ').append(kv.key).append('=').append(kv.value));
            }
            for (var t = e.getThrowableProxy(); t != null; t = t.getCause()) {
              line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
            }
            debugLog.add(line.toString());
          }
        };
    capture.setContext(root.getLoggerContext());
    capture.start();
    root.addAppender(capture);
  }

  @org.junit.jupiter.api.AfterEach
  void stopCapture() {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(capture);
    root.setLevel(rootLevel);
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.klcrypt"))
        .setLevel(null);
  }

  private void assertNoSecretLogged(String... secrets) {
    assertThat(debugLog).as("DEBUG log lines captured").isNotEmpty();
    for (String secret : secrets) {
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      for (String form :
          List.of(
              secret,
              java.util.Base64.getEncoder().encodeToString(bytes),
              java.util.HexFormat.of().formatHex(bytes))) {
        assertThat(debugLog)
            .as("log lines containing a form of a passphrase")
            .noneMatch(l -> l.contains(form));
      }
    }
  }

  @BeforeEach
  void config() throws Exception {
    config = dir.resolve("klcryptd.conf");
    Files.writeString(config, "tablePath = klcrypttab\n");
  }

  private static List<String> names(Daemon daemon) {
    return daemon.context().volumes().list().stream().map(OpenVolume::name).toList();
  }

  @Test
  void aTableWithABadLineServesTheGoodOnesAndReloadAppliesChangesByName() throws Exception {
    Path data = luksImage("data", "data-passphrase");
    Path other = luksImage("other", "other-passphrase");
    Path scratch = image("scratch");
    Files.writeString(
        dir.resolve("klcrypttab"),
        String.join(
            "\n",
            "# name  image  key  options",
            "data " + data + " " + dir.resolve("data.key") + " luks,discard",
            "broken " + data + ".nope none luks,tries=3",
            "scratch " + scratch + " none ephemeral,sector-size=4096",
            "later " + other + " none",
            ""));
    NotifySocketReceiver systemd = NotifySocketReceiver.bind(dir.resolve("notify").toString());
    VolumeTableExtension table =
        new VolumeTableExtension(false, java.util.Map.of("NOTIFY_SOCKET", systemd.notifySocket()));
    Daemon daemon =
        Daemon.start(
            dir.resolve("run"),
            Optional.of(config),
            List.of(new dev.klcrypt.daemon.config.AuditExtension(), table));
    try {
      assertThat(names(daemon)).containsExactly("data", "scratch");
      assertThat(table.table().problems())
          .extracting(TableProblem::message)
          .containsExactly(
              dir.resolve("klcrypttab")
                  + ":3: unknown option 'tries' (known: luks, discard, sector-size=512|4096, nofail,"
                  + " readonly, ephemeral)");
      OpenVolume dataVolume = daemon.context().volumes().get("data");
      assertThat(dataVolume.info().allowDiscards()).isTrue();
      assertThat(daemon.context().volumes().get("scratch").volume().sectorSize()).isEqualTo(4096);
      assertThat(LuksImage.isLuks(scratch)).as("ephemeral image was formatted").isTrue();

      Path mount = dir.resolve("run").resolve(Daemon.VOLUMES_DIR);
      byte[] written = "served through the table".getBytes(StandardCharsets.UTF_8);
      try (FileChannel ch =
          FileChannel.open(
              mount.resolve("data"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(written), 8192);
        ch.force(false);
        ByteBuffer back = ByteBuffer.allocate(written.length);
        ch.read(back, 8192);
        assertThat(back.array()).isEqualTo(written);
      }

      // reload: scratch removed, 'later' gets a key file (changed), 'fresh' added, data unchanged
      Files.writeString(
          dir.resolve("klcrypttab"),
          String.join(
              "\n",
              "data " + data + " " + dir.resolve("data.key") + " luks,discard",
              "later " + other + " " + dir.resolve("other.key"),
              "fresh " + image("fresh") + " - ephemeral",
              ""));
      table.reloadAndNotify();
      List<String> reloading = systemd.next(java.time.Duration.ofSeconds(5)).lines().toList();
      assertThat(reloading.get(0)).isEqualTo("RELOADING=1");
      assertThat(reloading.get(1)).startsWith("MONOTONIC_USEC=");
      assertThat(systemd.next(java.time.Duration.ofSeconds(30)))
          .isEqualTo(
              "READY=1\nSTATUS=reloaded "
                  + dir.resolve("klcrypttab")
                  + ": 1 added, 1 removed, 1 changed, 0 bad lines");
      assertThat(names(daemon)).containsExactly("data", "fresh", "later");
      assertThat(daemon.context().volumes().get("data")).isSameAs(dataVolume);
      // a table that disappears leaves the volumes as they are, and still answers READY=1
      Files.delete(dir.resolve("klcrypttab"));
      table.reloadAndNotify();
      systemd.next(java.time.Duration.ofSeconds(5));
      assertThat(systemd.next(java.time.Duration.ofSeconds(5)))
          .isEqualTo(
              "READY=1\nSTATUS=reload of "
                  + dir.resolve("klcrypttab")
                  + " failed; volumes left as they were");
      assertThat(names(daemon)).containsExactly("data", "fresh", "later");
    } finally {
      daemon.close();
      systemd.close();
    }
    List<String> audit = debugLog.stream().filter(l -> l.startsWith("klcrypt.audit ")).toList();
    assertThat(audit)
        .filteredOn(l -> l.contains("event=open ") || l.contains("event=close "))
        .extracting(
            l ->
                (l.contains(" | kv") ? l.substring(0, l.indexOf(" | kv")) : l)
                    .replaceAll(" image=\\S+", ""))
        .containsExactlyInAnyOrder(
            "klcrypt.audit event=open volume=data mode=rw",
            "klcrypt.audit event=open volume=scratch mode=rw",
            "klcrypt.audit event=close volume=scratch",
            "klcrypt.audit event=open volume=later mode=rw",
            "klcrypt.audit event=open volume=fresh mode=rw",
            "klcrypt.audit event=close volume=data",
            "klcrypt.audit event=close volume=fresh",
            "klcrypt.audit event=close volume=later");
    assertThat(debugLog).anyMatch(l -> l.startsWith("klcrypt.audit event=table-problem"));
    assertNoSecretLogged("data-passphrase", "other-passphrase");
  }

  @Test
  void readyIsSentOnlyOnceTheTablesVolumesAreOpenAndStoppingOnClose() throws Exception {
    Path data = luksImage("data", "data-passphrase");
    Files.writeString(
        dir.resolve("klcrypttab"), "data " + data + " " + dir.resolve("data.key") + " luks\n");
    try (NotifySocketReceiver systemd =
        NotifySocketReceiver.bind(dir.resolve("notify").toString())) {
      java.util.Map<String, String> env = java.util.Map.of("NOTIFY_SOCKET", systemd.notifySocket());
      // the order klcryptd's ServiceLoader would use: notify first, so STATUS= shows during the
      // opens
      Daemon daemon =
          Daemon.start(
              dir.resolve("run"),
              Optional.of(config),
              List.of(
                  new dev.klcrypt.daemon.notify.SystemdNotifyExtension(env),
                  new VolumeTableExtension(false, env)));
      try {
        String ready = systemd.awaitLine("READY=1", java.time.Duration.ofSeconds(30));
        assertThat(ready)
            .isEqualTo(
                "READY=1\nSTATUS=1 volume open under "
                    + dir.resolve("run").resolve(Daemon.VOLUMES_DIR));
        assertThat(names(daemon)).containsExactly("data");
      } finally {
        daemon.close();
      }
      assertThat(systemd.awaitLine("STOPPING=1", java.time.Duration.ofSeconds(10)))
          .isEqualTo("STOPPING=1\nSTATUS=stopping: closing 1 volume(s)");
    }
  }

  @Test
  void aVolumeThatCannotOpenFailsTheStartUnlessItIsNofail() throws Exception {
    Path data = luksImage("data", "right");
    Files.writeString(dir.resolve("wrong.key"), "wrong");
    Path table = dir.resolve("klcrypttab");
    Files.writeString(table, "data " + data + " " + dir.resolve("wrong.key") + " luks\n");
    assertThatThrownBy(
            () ->
                Daemon.start(
                    dir.resolve("run"),
                    Optional.of(config),
                    List.of(new VolumeTableExtension(false, java.util.Map.of()))))
        .hasMessageContaining("volume data (" + table + ":1) could not be opened")
        .hasMessageContaining("mark it 'nofail'");

    Files.writeString(table, "data " + data + " " + dir.resolve("wrong.key") + " luks,nofail\n");
    Daemon daemon =
        Daemon.start(
            dir.resolve("run"),
            Optional.of(config),
            List.of(new VolumeTableExtension(false, java.util.Map.of())));
    try {
      assertThat(names(daemon)).isEmpty();
    } finally {
      daemon.close();
    }
  }
}
