package io.dranode.agent;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import io.dranode.agent.archfixture.cyclea.Ping;
import io.dranode.agent.archfixture.cycleb.Pong;
import org.junit.jupiter.api.Test;

/**
 * Package by feature, one way: no two feature packages depend on each other, directly or through
 * others (docs/ARCHITECTURE.md, "Components"). Generated protobuf and gRPC code is not ours.
 */
class PackageCyclesArchitectureTest {

  private static ArchRule freeOfCycles(String packages) {
    return slices().matching(packages).should().beFreeOfCycles();
  }

  @Test
  void featurePackagesAreFreeOfCycles() {
    freeOfCycles("io.dranode.agent.(*)..").check(BackgroundWorkArchitectureTest.MAIN);
  }

  @Test
  void theRuleCatchesACycle() {
    var fixture = new ClassFileImporter().importClasses(Ping.class, Pong.class);

    assertThat(freeOfCycles("io.dranode.agent.archfixture.(*)..").evaluate(fixture).hasViolation())
        .isTrue();
  }
}
