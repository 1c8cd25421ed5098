"""The HTML report (`html.write_report`, its `sections/`) and the console tables (`console`)."""
