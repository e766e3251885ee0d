"""The offline layer at work: outbox sender, public content, the probe, audit."""
