package dev.klcrypt.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * Loads the shipped config/logback.xml into a private logger context and checks what it writes to
 * stderr.
 */
class LoggingConfigTest {
  private static final Path SHIPPED = Path.of("..", "config", "logback.xml");

  /**
   * Runs {@code body} with the shipped config and these context properties; returns what went to
   * stderr.
   */
  private static String logWith(Map<String, String> properties, LogBody body) throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(
        new LogbackMDCAdapter()); // the SLF4J provider does this for the default context
    properties.forEach(context::putProperty);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    PrintStream realErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      configurator.doConfigure(SHIPPED.toFile());
      List<Status> errors =
          context.getStatusManager().getCopyOfStatusList().stream()
              .filter(s -> s.getLevel() >= Status.WARN)
              .toList();
      assertThat(errors).as("logback status warnings/errors").isEmpty();
      body.run(context);
    } finally {
      context.stop();
      System.setErr(realErr);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  private interface LogBody {
    void run(LoggerContext context) throws Exception;
  }

  @Test
  void textFormatIsOneLinePerEventWithoutTimestampAndWithoutPrefixOnATerminal() throws Exception {
    String out =
        logWith(
            Map.of(),
            ctx -> {
              Logger log = ctx.getLogger("dev.klcrypt.daemon.Daemon");
              log.info("klcryptd ready: {} volumes", 2);
              log.debug("hidden at the default INFO level");
              ctx.getLogger("io.netty.channel.X").info("netty chatter is WARN and above only");
            });
    assertThat(out.lines().toList())
        .containsExactly("INFO  d.k.daemon.Daemon [main] klcryptd ready: 2 volumes");
  }

  @Test
  void underJournaldEachLineCarriesItsSyslogPriority() throws Exception {
    String out =
        logWith(
            Map.of("JOURNAL_STREAM", "8:12345"),
            ctx -> {
              Logger log = ctx.getLogger("dev.klcrypt.x");
              log.error("e");
              log.warn("w");
              log.info("i");
            });
    assertThat(out.lines().toList())
        .containsExactly(
            "<3>ERROR dev.klcrypt.x [main] e",
            "<4>WARN  dev.klcrypt.x [main] w",
            "<6>INFO  dev.klcrypt.x [main] i");
  }

  @Test
  void jsonFormatWritesOneParsableObjectPerLineWithAuditFields() throws Exception {
    String out =
        logWith(
            Map.of("KLCRYPT_LOG_FORMAT", "json"),
            ctx ->
                ctx.getLogger(AuditLog.LOGGER_NAME)
                    .atInfo()
                    .addKeyValue("event", "open")
                    .addKeyValue("volume", "data")
                    .log("event=open volume=data"));
    List<String> lines = out.lines().toList();
    assertThat(lines).hasSize(1);
    JsonNode event = new ObjectMapper().readTree(lines.getFirst());
    assertThat(event.path("level").asText()).isEqualTo("INFO");
    assertThat(event.path("loggerName").asText()).isEqualTo("klcrypt.audit");
    assertThat(event.path("formattedMessage").asText()).isEqualTo("event=open volume=data");
    assertThat(event.path("kvpList").toString())
        .contains("\"event\":\"open\"", "\"volume\":\"data\"");
  }

  @Test
  void theDaemonLevelPropertyRaisesVerbosityButAuditStaysAtInfo() throws Exception {
    String out =
        logWith(
            Map.of("klcrypt.log.level", "WARN"),
            ctx -> {
              ctx.getLogger("dev.klcrypt.daemon.X").info("quiet");
              ctx.getLogger(AuditLog.LOGGER_NAME).info("event=close volume=data");
            });
    assertThat(out.lines().toList())
        .containsExactly("INFO  klcrypt.audit [main] event=close volume=data");
  }

  @Test
  void auditValuesAreQuotedSoLinesSplitUnambiguously() {
    assertThat(AuditLog.quote("data")).isEqualTo("data");
    assertThat(AuditLog.quote("/srv/my image.img")).isEqualTo("\"/srv/my image.img\"");
    assertThat(AuditLog.quote("a=b")).isEqualTo("\"a=b\"");
    assertThat(AuditLog.quote("say \"hi\"\n")).isEqualTo("\"say \\\"hi\\\"\\n\"");
    assertThat(AuditLog.quote("")).isEqualTo("\"\"");
    assertThat(AuditLog.quote("bell\u0007")).isEqualTo("\"bell\\x07\"");
  }

  @Test
  void theAuditApiCannotCarryKeyMaterial() {
    List<Class<?>> allowed =
        List.of(
            String.class,
            Path.class,
            int.class,
            boolean.class,
            dev.klcrypt.daemon.table.TableProblem.class);
    for (Method m : AuditLog.class.getDeclaredMethods()) {
      if (!Modifier.isPublic(m.getModifiers())) {
        continue;
      }
      assertThat(Arrays.asList(m.getParameterTypes()))
          .as("parameters of AuditLog.%s", m.getName())
          .allMatch(allowed::contains);
    }
  }
}
