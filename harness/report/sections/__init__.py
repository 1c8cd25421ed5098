"""Report sections: each module's ``render(run_dir, summary, records)`` returns an HTML
fragment, or None when the section does not apply to the run."""
