"""Every write of the brand app: media reports (and their Excel import), videos, exhibitions,
stories. Each service is keyword-only, atomic, re-checks the actor's role and scope, locks what
it changes and writes the audit row."""
