package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ExternalStorage;

/**
 * The storage contract ({@code docs/contract.md}) as JUnit 5 tests: extend this class, return a
 * fresh, empty store from {@link #newStorage()}, declare what the backend can do in {@link
 * #capabilities()}, and every check runs against the backend.
 *
 * <pre>{@code
 * class FileStorageContractTest extends ExternalStorageContract {
 *   @TempDir Path dir;
 *
 *   @Override
 *   protected ExternalStorage newStorage() {
 *     return new FileStorage(dir.resolve("store"));
 *   }
 *
 *   @Override
 *   protected Capabilities capabilities() {
 *     return Capabilities.none().withCrossProcessSafety(true).withLocalFileUris(true);
 *   }
 * }
 * }</pre>
 *
 * <p>The checks are grouped by rule (L, S, R, D, I, T, and a model check across them), and every
 * test's display name starts with the ids of the rules it checks, as does every failure message.
 * Rules C1 to C3 concern the content-addressed layer and are checked by its own tests.
 *
 * <p>Lifecycle: before each test the kit calls {@link #newStorage()} and checks that the store is
 * empty; after the test it closes the storage. JUnit creates a new test instance per test, so
 * fields such as a {@code @TempDir} directory are fresh too. The kit's {@code @BeforeEach} runs
 * before a subclass's own {@code @BeforeEach} methods (JUnit runs a superclass's first), so start
 * what {@code newStorage()} needs (a server, a container) in a static {@code @BeforeAll}, or in
 * {@code newStorage()} itself. A test that needs a capability the backend lacks is skipped, with a
 * message naming the capability.
 *
 * <p>Property checks use QuickTheories. The system property or JUnit configuration parameter
 * {@code stowage.examples} (environment: {@code STOWAGE_EXAMPLES}, default 100) sets how many
 * examples each property tries; {@code stowage.seed} ({@code STOWAGE_SEED}) replays the seed that
 * a failure message printed. See {@code docs/testkit.md}.
 */
@ExtendWith(Tuning.Resolver.class)
public abstract class ExternalStorageContract {

  private ExternalStorage storage;
  private Capabilities caps;
  private Tuning tuning;
  private Scratch scratch;

  /** For subclasses. */
  protected ExternalStorageContract() {}

  /**
   * Returns a new storage that holds no object, for one test. Called before each test; the kit
   * closes the storage after the test.
   *
   * <p>With {@link Capabilities#crossProcessSafety()}, the kit calls it a second time within some
   * tests, and expects a second instance over the same stored objects.
   *
   * @return a new, empty storage, not null; the kit owns it and closes it after the test
   * @throws Exception if the storage cannot be created; the test then fails
   */
  protected abstract ExternalStorage newStorage() throws Exception;

  /**
   * What the backend can do beyond the contract every backend keeps; {@link Capabilities#none()}
   * unless overridden. Called once before each test.
   *
   * @return the backend's capabilities, not null
   */
  protected Capabilities capabilities() {
    return Capabilities.none();
  }

  @BeforeEach
  final void openContractStorage(Tuning tuning) throws Exception {
    this.tuning = tuning;
    this.caps = Objects.requireNonNull(capabilities(), "capabilities() returned null");
    this.scratch = new Scratch();
    this.storage = Objects.requireNonNull(newStorage(), "newStorage() returned null");
    List<String> present = Op.list(storage, "", "");
    assertEquals(List.of(), present, "newStorage() must return a fresh, empty store");
  }

  @AfterEach
  final void closeContractStorage() throws IOException {
    try {
      if (storage != null) {
        storage.close();
      }
    } finally {
      scratch.close();
    }
  }

  /** The storage of the current test, for the groups. */
  ExternalStorage storage() {
    return storage;
  }

  Capabilities caps() {
    return caps;
  }

  Tuning tuning() {
    return tuning;
  }

  Scratch scratch() {
    return scratch;
  }

  /** Rules L1 to L5: which locations and prefixes are valid, and that they are kept verbatim. */
  @Nested
  @DisplayName("L: locations")
  class Locations extends LocationChecks {
    Locations() {
      super(ExternalStorageContract.this);
    }
  }

  /** Rules S1 to S5: what a store returns, atomicity, files, streams, write policies. */
  @Nested
  @DisplayName("S: storing")
  class Storing extends StoringChecks {
    Storing() {
      super(ExternalStorageContract.this);
    }
  }

  /** Rules R1 to R5: loads, verified loads, metadata, verify, exists. */
  @Nested
  @DisplayName("R: reading")
  class Reading extends ReadingChecks {
    Reading() {
      super(ExternalStorageContract.this);
    }
  }

  /** Rule D1. */
  @Nested
  @DisplayName("D: deleting")
  class Deleting extends DeletingChecks {
    Deleting() {
      super(ExternalStorageContract.this);
    }
  }

  /** Rules M1 and M2: copies and moves within one store, under every write policy. */
  @Nested
  @DisplayName("M: copying and moving")
  class CopyingAndMoving extends CopyMoveChecks {
    CopyingAndMoving() {
      super(ExternalStorageContract.this);
    }
  }

  /** Rule M3: a store takes ownership of a local file ({@link ExternalStorage#adoptPath}). */
  @Nested
  @DisplayName("M3: adopting local files")
  class AdoptingFiles extends AdoptPathChecks {
    @Override
    protected ExternalStorage storage() {
      return ExternalStorageContract.this.storage;
    }
  }

  /**
   * Rules I1 to I5, I7 and I8: what a listing gives, in which order, lazily, under change, after a
   * bound, with the content of small objects.
   */
  @Nested
  @DisplayName("I: listing")
  class Listing extends ListingChecks {
    Listing() {
      super(ExternalStorageContract.this);
    }
  }

  /** Rules T1 to T3. */
  @Nested
  @DisplayName("T: threads, processes, errors")
  class Threads extends ThreadChecks {
    Threads() {
      super(ExternalStorageContract.this);
    }
  }

  /** Random sequences of operations against a sorted-map model of the contract. */
  @Nested
  @DisplayName("Model check")
  class Model {

    @Test
    @DisplayName("S1-S5 R1-R5 D1 I1 I2 M1 M2 model check: random operation sequences agree with a sorted-map model")
    void sequences() {
      ModelCheck model = new ModelCheck(storage, scratch);
      Theories.check(tuning, "model check (S1-S5, R1-R5, D1, I1, I2, M1, M2)",
          "random operation sequences agree with a sorted-map model", tuning.examples(4), 0,
          ModelCheck.sequences(caps.maxObjectSize(), 30), model::check);
    }
  }
}
