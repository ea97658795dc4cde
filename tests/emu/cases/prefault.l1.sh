# --prefault (sourced by l1-tests.sh): the helper thread populates guest RAM
# while the default guest boots; off by default. --verbose says how much.
case_run prefault_boot --prefault boot --verbose
case_run prefault_all --prefault all --verbose --mem 192
case_run prefault_default --verbose
