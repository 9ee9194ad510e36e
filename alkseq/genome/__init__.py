"""Genome layer: protein-change parsing, transcript models, genomic → protein, phasing."""
