"""The input side: files and streams a person gives b12 (CSV, FHIR), read with bounds."""
