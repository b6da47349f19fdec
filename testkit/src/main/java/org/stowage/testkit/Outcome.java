package org.stowage.testkit;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.InvalidLocationException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;

/**
 * What one operation gave: a value, described canonically so that equal results compare equal, or
 * the type of error it threw. Two outcomes are equal when their descriptions are; the exception
 * itself is kept only for messages.
 */
final class Outcome {
  private final String value;
  private final Throwable thrown;

  private Outcome(String value, Throwable thrown) {
    this.value = value;
    this.thrown = thrown;
  }

  static Outcome of(Metadata metadata) {
    return new Outcome("metadata " + metadata.md5() + "/" + metadata.size() + " B", null);
  }

  /** Bytes, described by their MD5 and size: the same as the {@link Metadata} of equal bytes. */
  static Outcome bytes(byte[] data) {
    Metadata m = Content.metadataOf(data);
    return new Outcome("bytes " + m.md5() + "/" + m.size() + " B", null);
  }

  /** The bytes of {@code content}. */
  static Outcome bytes(Content content) {
    Metadata m = content.metadata();
    return new Outcome("bytes " + m.md5() + "/" + m.size() + " B", null);
  }

  static Outcome of(boolean value) {
    return new Outcome(String.valueOf(value), null);
  }

  static Outcome done() {
    return new Outcome("done", null);
  }

  static Outcome listing(List<String> locations) {
    return new Outcome(
        locations.stream().map(Generators::quote).collect(Collectors.joining(", ", "[", "]")),
        null);
  }

  /** The error type of a typed exception; any other error type by its class and message. */
  static Outcome thrown(Throwable e) {
    return new Outcome("throws " + errorType(e), e);
  }

  static Outcome thrown(Class<? extends ExternalResourceException> type) {
    return new Outcome("throws " + type.getSimpleName(), null);
  }

  private static String errorType(Throwable e) {
    if (e instanceof InvalidLocationException) {
      return InvalidLocationException.class.getSimpleName();
    }
    if (e instanceof MissingExternalResourceException) {
      return MissingExternalResourceException.class.getSimpleName();
    }
    if (e instanceof ChangedExternalResourceException) {
      return ChangedExternalResourceException.class.getSimpleName();
    }
    if (e instanceof ExistingExternalResourceException) {
      return ExistingExternalResourceException.class.getSimpleName();
    }
    if (e instanceof ExternalResourceException) {
      return ExternalResourceException.class.getSimpleName();
    }
    return e.getClass().getName() + ": " + e.getMessage();
  }

  /** The description, with the exception's message for a thrown outcome. */
  String detailed() {
    if (thrown == null) {
      return value;
    }
    return value + " (" + thrown.getMessage() + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Outcome other && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
