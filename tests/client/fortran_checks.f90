! What the Fortran client tests share: counted checks that print the failing one with liblocus's last error,
! the report line that ends a test, and the bytes of a file.
module fortran_checks
  use locus, only: locus_last_error
  implicit none
  private
  public :: check, report, file_bytes
  integer :: checks = 0, failures = 0

contains

  subroutine check(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    checks = checks + 1
    if (.not. ok) then
       failures = failures + 1
       print '(a,a,a,a)', 'FAILED: ', what, ': ', locus_last_error()
    end if
  end subroutine

  ! "<name>: N passed, M failed"; stops with status 1 when any check failed
  subroutine report(name)
    character(len=*), intent(in) :: name
    print '(a,a,i0,a,i0,a)', name, ': ', checks - failures, ' passed, ', failures, ' failed'
    if (failures > 0) stop 1
  end subroutine

  function file_bytes(path) result(s)
    character(len=*), intent(in) :: path
    character(len=:), allocatable :: s
    integer :: u, n
    open(newunit=u, file=path, access='stream', form='unformatted', status='old')
    inquire(unit=u, size=n)
    allocate(character(len=n) :: s)
    read(u) s
    close(u)
  end function

end module fortran_checks
