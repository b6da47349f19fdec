package org.stowage.testkit.reference;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedMethod;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * Runs the whole contract suite against deliberately broken backends, through the JUnit Platform,
 * and checks that the right tests fail, naming the rule, and that property and model failures
 * carry the seed and a short, readable counterexample.
 *
 * <p>The broken suites are static nested classes: JUnit does not run those on its own, and
 * Surefire skips nested classes, so they run only from here.
 */
@DisplayName("The kit catches broken backends and names the rule they break")
class BrokenBackendsTest {
  private static final String SEED = "20260101";

  @Test
  @DisplayName("L3 a backend that rewrites locations to NFC")
  void rewritesLocations() {
    EngineExecutionResults results = run(RewritesLocations.class);
    assertMessage(failure(results, "L3 keeps NFC and NFD spellings apart"), "L3");
    String model = assertModelCounterexample(results, "rule I1");
    assertTrue(model.contains("e\\u0301"), "the counterexample shows the NFD spelling: " + model);
  }

  @Test
  @DisplayName("S2 a backend that leaves a half-written object behind when a store fails")
  void leavesTempObject() {
    EngineExecutionResults results = run(LeavesTempObject.class);
    assertMessage(failure(results, "S2 a store whose source fails"), "S2: a failed store must leave no temp");
    assertMessage(failure(results, "I1 lists objects only"), "I1");
    String model = assertModelCounterexample(results, "rule S2");
    assertTrue(model.contains(".tmp"), "the counterexample shows the temp object: " + model);
  }

  @Test
  @DisplayName("D1 a backend whose delete leaves the object")
  void deleteKeepsObject() {
    EngineExecutionResults results = run(DeleteKeepsObject.class);
    assertMessage(failure(results, "D1 delete removes the object"), "D1: delete must remove");
    assertModelCounterexample(results, "rule D1");
  }

  @Test
  @DisplayName("R1 R2 a backend that returns truncated data without an error")
  void truncatesReads() {
    EngineExecutionResults results = run(TruncatesReads.class);
    Throwable verified = failure(results, "R2 a verified load gives the stored bytes");
    assertInstanceOf(ChangedExternalResourceException.class, verified,
        "the verified load must catch the truncation rather than give the data");
    assertMessage(verified, "R2");
    Throwable property = failure(results, "S1 R1 property");
    assertMessage(property, "R1: loadStream must give the bytes stored");
    assertMessage(property, "-Dstowage.seed=" + SEED);
    assertModelCounterexample(results, "rule R[124]");
  }

  @Test
  @DisplayName("S5 a backend whose CREATE overwrites")
  void ignoresCreate() {
    EngineExecutionResults results = run(IgnoresCreate.class);
    assertMessage(failure(results, "S5 CREATE stores when absent"), "S5: CREATE with an object present");
    assertMessage(failure(results, "S5 CREATE lets exactly one"), "exactly one must win");
    assertMessage(failure(results, "S5 property"), "-Dstowage.seed=" + SEED);
    assertModelCounterexample(results, "rule S5");
  }

  @Test
  @DisplayName("M2 a backend whose refused move has already deleted the source")
  void moveLosesSource() {
    EngineExecutionResults results = run(MoveLosesSource.class);
    assertMessage(failure(results, "M1 M2 honour every write policy"), "rule M2: the source after move");
    assertModelCounterexample(results, "rule M2");
  }

  @Test
  @DisplayName("L4 a filesystem backend that follows a symbolic link out of its root")
  void followsSymlinks() {
    EngineExecutionResults results = run(FollowsSymlinks.class, 20);
    assertMessage(failure(results, "L4 does not follow a symbolic link to a directory"),
        "L4: loadBytes must not follow a symbolic link");
  }

  @Test
  @DisplayName("S6 a backend that keeps a view of the caller's array")
  void keepsCallersArray() {
    EngineExecutionResults results = run(KeepsCallersArray.class);
    assertMessage(failure(results, "S6 changing the array passed to storeBytes"), "S6");
  }

  @Test
  @DisplayName("R6 a backend whose loadBytes returns its stored array")
  void sharesLoadedArray() {
    EngineExecutionResults results = run(SharesLoadedArray.class);
    assertMessage(failure(results, "R6 loadBytes gives a new array per call"), "R6");
  }

  @Test
  @DisplayName("L6 a backend whose uri() folds case")
  void foldsUriCase() {
    EngineExecutionResults results = run(FoldsUriCase.class);
    assertMessage(failure(results, "L6 uri() is distinct"), "L6: ");
    assertMessage(failure(results, "L6 property"), "-Dstowage.seed=" + SEED);
  }

  @Test
  @DisplayName("D2 a backend whose delete removes what is below the location too")
  void deletesNested() {
    EngineExecutionResults results = run(DeletesNested.class);
    assertMessage(failure(results, "D2 deleting p when p/q exists"), "D2: ");
  }

  @Test
  @DisplayName("I5 a backend that loses an object at each 1,000-object page boundary")
  void losesPageBoundary() {
    EngineExecutionResults results = run(LosesPageBoundary.class);
    Throwable failure = failure(results, "I5 lists thousands of objects");
    assertMessage(failure, "I5: ");
    assertMessage(failure, "first difference at position 1000");
  }

  @Test
  @DisplayName("I7 a backend that compares a listing's bound in UTF-16 order")
  void boundInUtf16Order() {
    EngineExecutionResults results = run(BoundInUtf16Order.class);
    propertyFailure(results,
        "I7 property: iterContents(prefix, startAfter) is the part of iterContents(prefix) after", "I7: ");
  }

  @Test
  @DisplayName("I8 a backend that declares objectsReadWithListing and lists every object without content")
  void readsNothingWithListing() {
    EngineExecutionResults results = run(ReadsNothingWithListing.class);
    Throwable failure = failure(results,
        "I8 a backend that reads with its listing lists every small object left alone with its content");
    assertMessage(failure, "I8: a backend that declares objectsReadWithListing");
    propertyFailure(results, "I8 property: iterObjects(prefix, startAfter, maxBytes)", "without content");
  }

  @Test
  @DisplayName("I8 a backend that lists each object with the content of the one before it")
  void listsNeighboursContent() {
    EngineExecutionResults results = run(ListsNeighboursContent.class);
    propertyFailure(results, "I8 property: iterObjects(prefix, startAfter, maxBytes)",
        "I8: iterObjects(", "with other content than loadBytes gives");
    assertMessage(failure(results, "I8 with maxBytes 0 only empty objects"), "I8: ");
  }

  @Test
  @DisplayName("L1.3 a backend that refuses locations its root makes too long without naming L1")
  void rootLimitUnnamed() {
    EngineExecutionResults results = run(RootLimitUnnamed.class);
    assertMessage(failure(results, "L1.3 a location over the backend's declared limit"), "L1: ");
  }

  @Test
  @DisplayName("T1 a backend on a plain, unsynchronised map")
  void unsynchronisedMap() {
    // A plain map breaks T1; which symptom the stress check meets first is up to the threads: a
    // read no order explains (T1), or two winners of one CREATE race (S5).
    Throwable failure = stressFailure(Unsynchronised.class);
    String message = String.valueOf(failure.getMessage());
    assertTrue(message.contains("T1") || message.contains("S5: "),
        () -> "the failure should name T1 or S5, but says: " + message);
  }

  @Test
  @DisplayName("T1.1 a backend that updates bytes and metadata in two steps")
  void twoStepMetadata() {
    assertMessage(stressFailure(TwoStepMetadata.class), "T1");
  }

  @Test
  @DisplayName("S5 a backend whose CREATE checks, then acts")
  void checkThenActCreate() {
    assertMessage(stressFailure(CheckThenActCreate.class), "S5: ");
  }

  @Test
  @DisplayName("I6 a backend whose temporary names show in concurrent listings")
  void tempNameVisible() {
    assertMessage(stressFailure(TempNameVisible.class), "I6: ");
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Runs only the stress check of {@code contract}, at the default settings, and returns its
   * failure. A race shows only when the threads meet, so up to three runs are tried
   * (docs/testkit.md gives the rates of single runs: at 8 s and load 18-24, 18 to 20 of 20 for
   * each racy backend, so a second try is needed now and then and a third almost never). A run
   * stops at the first part of the check that finds a problem, so a try that catches the race
   * takes from under a second to a few; only a missed try takes the whole 8 s.
   */
  private static Throwable stressFailure(Class<?> contract) {
    for (int attempt = 0; attempt < 3; attempt++) {
      EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
          .selectors(selectNestedMethod(List.of(contract.getName()),
              ExternalStorageContract.class.getName() + "$Threads", "stress"))
          // A fixed budget, whatever the build sets for correct backends: 8 s, tried up to three
          // times. The detection rates the issue asks for are measured at the kit's default of
          // 15 s (StressRatesTest); this test checks that the kit catches each racy backend,
          // within CI's time.
          .configurationParameter("stowage.stress.seconds", "8")
          .execute();
      List<Event> failed = results.testEvents().failed().list();
      if (!failed.isEmpty()) {
        return failure(results, "T1 T1.1 S5 I6 stress");
      }
    }
    throw new AssertionError("the stress check did not catch " + contract.getSimpleName()
        + " in three runs");
  }

  private static EngineExecutionResults run(Class<?> contract) {
    return run(contract, 100);
  }

  /** Runs the suite with {@code examples} per property (fewer for the slower file backend). */
  private static EngineExecutionResults run(Class<?> contract, int examples) {
    EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(contract))
        .configurationParameter("stowage.seed", SEED)
        .configurationParameter("stowage.examples", String.valueOf(examples))
        // The stress check is for the racy backends below; here one second of it is enough.
        .configurationParameter("stowage.stress.seconds", "1")
        .execute();
    assertTrue(results.testEvents().succeeded().count() > 20,
        "most of the suite passes even on a broken backend");
    return results;
  }

  /** The exception of the failed test whose display name starts with {@code name}. */
  private static Throwable failure(EngineExecutionResults results, String name) {
    List<Event> failed = results.testEvents().failed().list();
    return failed.stream()
        .filter(e -> e.getTestDescriptor().getDisplayName().startsWith(name))
        .findFirst()
        .flatMap(e -> e.getPayload(TestExecutionResult.class))
        .flatMap(TestExecutionResult::getThrowable)
        .orElseThrow(() -> new AssertionError("the test \"" + name + "...\" should fail; failed: "
            + failed.stream().map(e -> e.getTestDescriptor().getDisplayName()).toList()));
  }

  /**
   * The failure of the property test named {@code name}: its message says each of {@code
   * phrases}, the seed that failed, and how to run that seed again.
   */
  private static Throwable propertyFailure(EngineExecutionResults results, String name, String... phrases) {
    Throwable failure = failure(results, name);
    for (String phrase : phrases) {
      assertMessage(failure, phrase);
    }
    assertMessage(failure, "Seed " + SEED);
    assertMessage(failure, "-Dstowage.seed=" + SEED);
    return failure;
  }


  private static void assertMessage(Throwable failure, String expected) {
    assertTrue(String.valueOf(failure.getMessage()).contains(expected),
        () -> "the failure should say \"" + expected + "\", but says: " + failure.getMessage());
  }

  /**
   * Checks the model check's failure: the rule (a regular expression), the seed with how to
   * replay it, and a shrunk transcript of at most three numbered operations. Returns the message.
   */
  private static String assertModelCounterexample(EngineExecutionResults results, String rule) {
    String message = failure(results, "S1-S5 R1-R5 D1 I1 I2 M1 M2 model check").getMessage();
    assertTrue(Pattern.compile(rule).matcher(message).find(),
        () -> "the model check's failure should name " + rule + ": " + message);
    assertTrue(message.contains("Seed " + SEED) && message.contains("-Dstowage.seed=" + SEED),
        () -> "the model check's failure should give the seed and how to replay it: " + message);
    Matcher shrunk = Pattern.compile("Shrunk from (\\d+) to (\\d+) operation").matcher(message);
    assertTrue(shrunk.find(), () -> "the failure should give the shrunk sequence: " + message);
    int length = Integer.parseInt(shrunk.group(2));
    assertTrue(length <= 3 && length <= Integer.parseInt(shrunk.group(1)),
        () -> "the counterexample should shrink to at most three operations: " + message);
    assertTrue(message.contains("   1. "), () -> "the operations should be numbered: " + message);
    return message;
  }

  // ---------------------------------------------------------------------------------------------
  // The broken suites

  /** The contract against a {@link BrokenStorage} with one flaw. */
  @Tag("broken-backend")
  abstract static class Broken extends ExternalStorageContract {
    abstract BrokenStorage.Flaw flaw();

    @Override
    protected ExternalStorage newStorage() {
      return new BrokenStorage(flaw());
    }

    @Override
    protected Capabilities capabilities() {
      return Capabilities.none().withMaxObjectSize(1L << 20).withLargeListingSize(1100);
    }
  }

  static class RewritesLocations extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.REWRITES_LOCATIONS;
    }
  }

  static class LeavesTempObject extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.LEAVES_TEMP_OBJECT;
    }
  }

  static class DeleteKeepsObject extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.DELETE_KEEPS_OBJECT;
    }
  }

  static class TruncatesReads extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.TRUNCATES_READS;
    }
  }

  static class IgnoresCreate extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.IGNORES_CREATE;
    }
  }

  static class MoveLosesSource extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.MOVE_LOSES_SOURCE;
    }
  }

  static class KeepsCallersArray extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.KEEPS_CALLERS_ARRAY;
    }
  }

  static class SharesLoadedArray extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.SHARES_LOADED_ARRAY;
    }
  }

  static class FoldsUriCase extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.FOLDS_URI_CASE;
    }
  }

  static class DeletesNested extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.DELETES_NESTED;
    }
  }

  static class LosesPageBoundary extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.LOSES_PAGE_BOUNDARY;
    }
  }

  static class BoundInUtf16Order extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.BOUND_IN_UTF16_ORDER;
    }
  }

  static class ReadsNothingWithListing extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.READS_NOTHING_WITH_LISTING;
    }

    @Override
    protected Capabilities capabilities() {
      return super.capabilities().withObjectsReadWithListing(true);
    }
  }

  static class ListsNeighboursContent extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.LISTS_NEIGHBOURS_CONTENT;
    }
  }

  static class RootLimitUnnamed extends Broken {
    @Override
    BrokenStorage.Flaw flaw() {
      return BrokenStorage.Flaw.ROOT_LIMIT_UNNAMED;
    }

    @Override
    protected Capabilities capabilities() {
      return super.capabilities().withMaxLocationBytes(900);
    }
  }

  /** The contract against a {@link RacyStorage} with one race. */
  @Tag("broken-backend")
  abstract static class Racy extends ExternalStorageContract {
    abstract RacyStorage.Flaw flaw();

    @Override
    protected ExternalStorage newStorage() {
      return new RacyStorage(flaw());
    }
  }

  static class Unsynchronised extends Racy {
    @Override
    RacyStorage.Flaw flaw() {
      return RacyStorage.Flaw.UNSYNCHRONISED_MAP;
    }
  }

  static class TwoStepMetadata extends Racy {
    @Override
    RacyStorage.Flaw flaw() {
      return RacyStorage.Flaw.TWO_STEP_METADATA;
    }
  }

  static class CheckThenActCreate extends Racy {
    @Override
    RacyStorage.Flaw flaw() {
      return RacyStorage.Flaw.CHECK_THEN_ACT_CREATE;
    }
  }

  static class TempNameVisible extends Racy {
    @Override
    RacyStorage.Flaw flaw() {
      return RacyStorage.Flaw.TEMP_NAME_VISIBLE;
    }
  }

  @Tag("broken-backend")
  static class FollowsSymlinks extends ExternalStorageContract {
    @TempDir Path dir;

    @Override
    protected ExternalStorage newStorage() throws Exception {
      return new ReferenceFileStorage(dir.resolve("store"), false);
    }

    @Override
    protected Capabilities capabilities() {
      return Capabilities.none().withLocalFileUris(true).withMaxObjectSize(1L << 20);
    }
  }
}
