# Writes small SAS7BDAT files (persons, and benefits in DREAM's wide layout) for the reader tests.
# Run from this folder: Rscript make_sas.R   (needs R's haven package: apt-get install r-cran-haven)
library(haven)
persons <- data.frame(
  PERSON_ID = c("A", "B", "C"),
  BIRTH_DATE = as.Date(c("1960-03-15", "1958-01-08", "1990-01-01")),
  SEX = c("M", "K", "K"),
  MUNICIPALITY = c(101, 851, 751),
  stringsAsFactors = FALSE
)
wide <- data.frame(PERSON_ID = c("A", "B", "C"), stringsAsFactors = FALSE)
wide$Y_1801 <- c(111, 111, 130)
wide$Y_1802 <- c(111, 111, 130)
wide$Y_1803 <- c(213, NA, 130)
wide$Y_1804 <- c(890, 999, NA)
write_sas(persons, "persons.sas7bdat")
write_sas(wide, "benefits.sas7bdat")
