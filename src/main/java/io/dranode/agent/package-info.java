/** dra-node-agent: discovers, registers, monitors and cleans up after DRA driver plugins. */
@NullMarked
package io.dranode.agent;

import org.jspecify.annotations.NullMarked;
