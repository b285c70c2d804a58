package dev.klcrypt.daemon.config;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The encoder of {@code config/logback.xml}: {@code <format>text</format>} writes {@code <pattern>}
 * lines, {@code <format>json</format>} one JSON object per event (Logback's {@link JsonEncoder}:
 * timestamp, level, loggerName, threadName, formattedMessage, kvpList, throwable). One appender
 * with a switchable encoder, rather than two appenders of which one is unused, keeps Logback from
 * printing "appender not referenced" warnings at every start.
 */
public final class LogFormatEncoder extends EncoderBase<ILoggingEvent> {
  private String format = "text";
  private String pattern = "%-5level %logger{20} [%thread] %msg%n";
  private Encoder<ILoggingEvent> delegate;

  /** {@code text} or {@code json}. */
  public void setFormat(String format) {
    this.format = format == null ? "" : format.strip();
  }

  /** The layout pattern for the text format. */
  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  @Override
  public void start() {
    switch (format) {
      case "json" -> {
        JsonEncoder json = new JsonEncoder();
        json.setWithSequenceNumber(false);
        json.setWithNanoseconds(false);
        json.setWithContext(false);
        json.setWithArguments(false);
        json.setWithMessage(false);
        json.setWithFormattedMessage(true);
        delegate = json;
      }
      case "text" -> delegate = text();
      default -> {
        addError("log format '" + format + "' is not 'text' or 'json'; using text");
        delegate = text();
      }
    }
    delegate.setContext(getContext());
    delegate.start();
    super.start();
  }

  private Encoder<ILoggingEvent> text() {
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setPattern(pattern);
    return text;
  }

  @Override
  public void stop() {
    if (delegate != null) {
      delegate.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }
}
