/**
 * What hand-wired tests share: the time seams ({@link MutableClock}, {@link ManualScheduler}), the
 * agent's parts wired as the application wires them ({@link AgentRig}), and one family of fake
 * plugins on Unix sockets ({@link FakePlugin}, built on {@link UnixGrpcServer}).
 */
@NullMarked
package io.dranode.agent.testing;

import org.jspecify.annotations.NullMarked;
