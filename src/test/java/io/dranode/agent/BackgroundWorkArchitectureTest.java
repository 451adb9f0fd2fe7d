package io.dranode.agent;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.syntax.elements.GivenClassesConjunction;
import io.dranode.agent.archfixture.RogueBackgroundWork;
import io.dranode.agent.plugin.PluginStore;
import java.util.List;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/ARCHITECTURE.md: all background work runs on executors that the application context owns and
 * shuts down, and only the {@code config} package creates them. Work started anywhere else (a raw
 * thread, a static pool, a timer, the common pool) would outlive the context: the upstream flake's
 * cause. Generated protobuf and gRPC code is not ours and is left out.
 */
class BackgroundWorkArchitectureTest {

  static final String OURS = "io.dranode.agent..";

  static final List<ArchRule> RULES =
      List.of(
          outsideConfig()
              .should()
              .callConstructorWhere(targetOwner(Thread.class))
              .as("no new Thread outside config"),
          outsideConfig()
              .should()
              .callMethodWhere(targetOwnerIs(Executors.class))
              .as("no java.util.concurrent.Executors outside config"),
          outsideConfig()
              .should()
              .callConstructorWhere(targetOwner(ExecutorService.class))
              .as("no executor or pool constructed outside config"),
          outsideConfig()
              .should()
              .dependOnClassesThat()
              .areAssignableTo(Timer.class)
              .orShould()
              .dependOnClassesThat()
              .areAssignableTo(TimerTask.class)
              .as("no java.util.Timer"),
          outsideConfig()
              .should()
              .callMethod(ForkJoinPool.class, "commonPool")
              .as("no ForkJoinPool.commonPool"),
          outsideConfig()
              .should()
              .callMethodWhere(asyncWithoutExecutor())
              .as("no CompletableFuture ...Async without an executor argument"));

  /** Imported once: the generated protobuf code makes the import take seconds. */
  static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.dranode.agent");

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void mainCodeKeepsBackgroundWorkOnContextOwnedExecutors(ArchRule rule) {
    JavaClasses main = MAIN;
    // An empty import would pass vacuously.
    assertThat(main.contain(PluginStore.class)).as("main code was imported").isTrue();

    rule.check(main);
  }

  /** The rules can fail: each one reports the fixture that does exactly what it forbids. */
  @Test
  void everyRuleCatchesItsViolation() {
    JavaClasses fixture = new ClassFileImporter().importClasses(RogueBackgroundWork.class);

    for (ArchRule rule : RULES) {
      EvaluationResult result = rule.evaluate(fixture);
      assertThat(result.hasViolation()).as(rule.getDescription()).isTrue();
    }
    assertThat(RULES.get(RULES.size() - 1).evaluate(fixture).getFailureReport().getDetails())
        .as("runAsync, supplyAsync and thenApplyAsync without executor")
        .hasSize(3);
  }

  static List<ArchRule> rules() {
    return RULES;
  }

  private static GivenClassesConjunction outsideConfig() {
    return noClasses()
        .that()
        .resideInAPackage(OURS)
        .and()
        .resideOutsideOfPackages(
            "io.dranode.agent.config..", "io.dranode.agent.proto..", "io.dranode.agent.api..");
  }

  private static DescribedPredicate<JavaCall<?>> targetOwner(Class<?> type) {
    return describe(
        "target is a " + type.getSimpleName(), call -> call.getTargetOwner().isAssignableTo(type));
  }

  private static DescribedPredicate<JavaCall<?>> targetOwnerIs(Class<?> type) {
    return describe(
        "target is declared in " + type.getSimpleName(),
        call -> call.getTargetOwner().isEquivalentTo(type));
  }

  /** {@code runAsync(r)}, {@code supplyAsync(s)}, {@code thenApplyAsync(f)}…: the common pool. */
  private static DescribedPredicate<JavaCall<?>> asyncWithoutExecutor() {
    return describe(
        "an ...Async method of CompletableFuture without an Executor argument",
        call -> {
          JavaClass owner = call.getTargetOwner();
          if (!owner.isAssignableTo(CompletionStage.class)
              && !owner.isEquivalentTo(CompletableFuture.class)) {
            return false;
          }
          if (!call.getName().endsWith("Async")) {
            return false;
          }
          return call.getTarget().getRawParameterTypes().stream()
              .noneMatch(p -> p.isAssignableTo(Executor.class));
        });
  }
}
