package dev.klcrypt.daemon.control;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import java.io.IOException;
import java.util.Arrays;

/**
 * Parses one request frame (a JSON object) with the streaming API, so the base64 {@code passphrase}
 * field is decoded straight into a byte array and never becomes a String.
 */
final class ControlRequestParser {
  static final String PASSPHRASE_FIELD = "passphrase";

  private final ObjectMapper mapper;

  ControlRequestParser(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * Parses {@code frame} in place: Jackson reads the caller's array directly (no recycled copy of
   * the base64 passphrase is left in its buffer pool), and the caller wipes the array afterwards.
   */
  ControlRequest parse(byte[] frame) {
    byte[] passphrase = null;
    try (JsonParser p = mapper.createParser(frame)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new RequestRefusedException(
            Errno.EINVAL, "a request must be one JSON object per line");
      }
      ObjectNode fields = mapper.createObjectNode();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (PASSPHRASE_FIELD.equals(field)) {
          if (value != JsonToken.VALUE_STRING || passphrase != null) {
            throw new RequestRefusedException(
                Errno.EINVAL, "field 'passphrase' must be one base64 string");
          }
          passphrase = decodeBase64(p);
        } else {
          JsonNode node = mapper.readTree(p);
          fields.set(field, node);
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw new RequestRefusedException(Errno.EINVAL, "trailing data after the request object");
      }
      JsonNode op = fields.remove("op");
      if (op == null || !op.isTextual() || op.asText().isEmpty()) {
        throw new RequestRefusedException(Errno.EINVAL, "field 'op' must be a non-empty string");
      }
      ControlRequest request = new ControlRequest(op.asText(), fields, passphrase);
      passphrase = null;
      return request;
    } catch (JsonProcessingException e) {
      throw new RequestRefusedException(Errno.EINVAL, "malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new RequestRefusedException(Errno.EINVAL, "unreadable request: " + e.getMessage());
    } finally {
      if (passphrase != null) {
        Arrays.fill(passphrase, (byte) 0);
      }
    }
  }

  private static byte[] decodeBase64(JsonParser p) {
    try {
      return p.getBinaryValue();
    } catch (IOException e) {
      // Jackson's message may quote input characters: never echo them, they are part of a secret
      throw new RequestRefusedException(Errno.EINVAL, "field 'passphrase' is not valid base64");
    }
  }
}
